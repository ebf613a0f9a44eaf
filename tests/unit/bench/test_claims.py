"""The claim rules on hand-made per-seed values: each verdict reachable, and the boundary of CLOSE."""
import numpy as np
import pandas as pd

from bench.paper.claims import CLOSE, close_accuracy, higher_class_kl, judge, render, sparser_at_comparable_accuracy

a = np.array


def test_sparser_at_comparable_accuracy():
    hi, lo = a([0.6, 0.62, 0.61]), a([0.2, 0.25, 0.22])
    assert sparser_at_comparable_accuracy(hi, lo, a([0.30, 0.31, 0.29]), a([0.31, 0.32, 0.30]))[0] == "reproduced"
    assert sparser_at_comparable_accuracy(lo, hi, a([0.3] * 3), a([0.3] * 3))[0] == "refuted"
    # sparser only at a clearly lower accuracy
    assert sparser_at_comparable_accuracy(hi, lo, a([0.20, 0.21, 0.22]), a([0.30, 0.31, 0.32]))[0] == "refuted"
    assert sparser_at_comparable_accuracy(hi, lo, a([0.20, 0.35, 0.22]), a([0.30, 0.31, 0.32]))[0] == "inconclusive"
    assert sparser_at_comparable_accuracy(a([0.3, 0.5]), a([0.4, 0.45]), a([0.3] * 2), a([0.3] * 2))[0] == "inconclusive"
    assert sparser_at_comparable_accuracy(hi[:1], lo, a([0.3]), a([0.3] * 3))[0] == "inconclusive"


def test_close_accuracy_boundary_and_overlap():
    base = a([0.50, 0.51, 0.49])
    assert close_accuracy(base + CLOSE * 0.99, base)[0] == "reproduced"
    assert close_accuracy(base - 0.05, base)[0] == "refuted"
    assert close_accuracy(a([0.40, 0.55, 0.40]), base)[0] == "inconclusive"  # mean 0.05 lower, seeds overlap


def test_higher_class_kl():
    """On the class KL above its shuffled-label null: a sparse code at its null says nothing, even
    when a dense rival is further below."""
    assert higher_class_kl(a([0.3, 0.4]), a([0.1, 0.2]))[0] == "reproduced"
    assert higher_class_kl(a([0.1, 0.2]), a([0.3, 0.4]))[0] == "refuted"
    assert higher_class_kl(a([0.1, 0.35]), a([0.3, 0.4]))[0] == "inconclusive"
    verdict, reason = higher_class_kl(a([-1e-4, 2e-4]), a([-5e-4, -4e-4]))
    assert verdict == "inconclusive" and "not above its shuffled-label null" in reason
    assert higher_class_kl(a([1e-4, 2e-4]), a([-5e-4, -4e-4]))[0] == "reproduced"
    assert higher_class_kl(a([-3e-4, -2e-4]), a([1e-4, 2e-4]))[0] == "refuted"


def _rows(method, corpus, accs, ahs, kls, mode="m"):
    return [{"method": method, "corpus": corpus, "kind": "deterministic", "mode": mode, "headline": True,
             "reference": False, "seed": i, "probe_accuracy": acc, "avg_hoyer": ah, "class_kl_excess": kl}
            for i, (acc, ah, kl) in enumerate(zip(accs, ahs, kls))]


def test_judge_reads_headline_rows_of_each_corpus():
    rows = (_rows("hsvae", "yahoo", [0.30, 0.31], [0.6, 0.61], [0.5, 0.6])
            + _rows("mat", "yahoo", [0.30, 0.30], [0.2, 0.21], [0.1, 0.1])
            + _rows("vae", "yahoo", [0.40, 0.41], [0.2, 0.2], [0.1, 0.2])
            + [{**r, "headline": False, "probe_accuracy": 0.99} for r in _rows("vae", "yahoo", [0.0, 0.0],
                                                                                  [0, 0], [0, 0], mode="x")])
    verdicts = {v.claim: v for v in judge(pd.DataFrame(rows))}
    assert set(verdicts) == {"(a) sparser than MAT-VAE at comparable accuracy", "(b) accuracy close to vae",
                             "(c) class KL above vae"}  # no vae-beta0.01 records: no claim about it
    assert verdicts["(a) sparser than MAT-VAE at comparable accuracy"].verdict == "reproduced"
    assert verdicts["(b) accuracy close to vae"].verdict == "refuted"  # 0.305 vs 0.405, non-headline 0.99 ignored
    assert verdicts["(c) class KL above vae"].verdict == "reproduced"
    assert "**refuted**" in render(list(verdicts.values()))


def test_a_collapsed_dense_rival_is_disclosed_without_changing_the_verdict():
    rows = (_rows("hsvae", "yahoo", [0.24, 0.25], [0.6, 0.61], [3e-4, 4e-4])
            + [{**r, "collapsed_dims": 32.0} for r in _rows("vae", "yahoo", [0.20, 0.21], [0.2, 0.2], [0.0, 0.0])]
            + [{**r, "collapsed_dims": 0.0} for r in _rows("vae-beta0.01", "yahoo", [0.30, 0.30], [0.2, 0.2],
                                                           [1e-4, 1e-4])])
    verdicts = {v.claim: v for v in judge(pd.DataFrame(rows))}
    assert verdicts["(c) class KL above vae"].verdict == "reproduced"
    assert verdicts["(c) class KL above vae"].reason.endswith(
        "caveat: vae's posterior collapsed in 32 dimensions (a near-empty code)")
    assert "caveat: vae's posterior collapsed" in verdicts["(b) accuracy close to vae"].reason
    assert "caveat" not in verdicts["(c) class KL above vae-beta0.01"].reason
