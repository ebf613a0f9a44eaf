"""The claim rules on frontiers, on hand-made frontiers: each verdict reachable, and each reason for an
inconclusive one (too few sweep points, no overlap, within the seed noise, unpaired seeds)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench.paper.claims import (CLOSE, MIN_POINTS, best_point_close, common_levels, eligible, frontier_dominates,
                          frontier_verdicts_from_records, higher_kl_at_matched_accuracy, main,
                          render_frontier_verdicts, sign_changes)
from bench.report.frontier import Frontier, Point


def points(xs, accs, spread=0.005, kls=None, kl_spread=0.01, seeds=(0, 1, 2), label="p"):
    """Sweep points at sparsity ``xs`` (Average Hoyer) and mean accuracy ``accs``: seed i is offset by
    spread·(i − 1); ``kls`` likewise for class_kl_excess."""
    out = []
    for k, (x, acc) in enumerate(zip(xs, accs)):
        values = {"avg_hoyer": {s: x for s in seeds},
                  "probe_accuracy": {s: acc + spread * (i - 1) for i, s in enumerate(seeds)}}
        if kls is not None:
            values["class_kl_excess"] = {s: kls[k] + kl_spread * (i - 1) for i, s in enumerate(seeds)}
        out.append(Point(f"{label}{k}", values))
    return out


def front(*args, **kw):
    return Frontier.of(points(*args, **kw), "avg_hoyer")


X = (0.2, 0.4, 0.6)


# -- (a) HSVAE's frontier dominates MAT-VAE's -------------------------------------------------------

def test_a_reproduced_when_above_on_every_seed_somewhere_and_never_clearly_below():
    verdict, why, numbers = frontier_dominates(front(X, (0.80, 0.75, 0.70)), front(X, (0.70, 0.65, 0.60)))
    assert verdict == "reproduced", why
    assert "common range [0.200, 0.600]" in numbers and "+0.100 to +0.100" in numbers


def test_a_refuted_when_the_rival_is_above_by_more_than_close_on_every_seed():
    assert frontier_dominates(front(X, (0.70, 0.65, 0.60)), front(X, (0.80, 0.75, 0.70)))[0] == "refuted"


def test_a_crossing_frontiers_are_refuted():
    """Above at the dense end, more than CLOSE below at the sparse end: no dominance."""
    verdict, why, numbers = frontier_dominates(front(X, (0.80, 0.70, 0.55)), front(X, (0.70, 0.68, 0.65)))
    assert verdict == "refuted" and "0.100 above at 0.600" in why  # the largest gap is named
    # gaps +0.10, +0.02, −0.10 at 0.2, 0.4, 0.6: zero at 0.4 + 0.2 · 0.02 / 0.12 = 0.4333
    assert numbers.endswith("from -0.100 to +0.100, changing sign at 0.433")


def test_a_frontiers_that_never_cross_name_no_crossing():
    numbers = frontier_dominates(front(X, (0.80, 0.75, 0.70)), front(X, (0.70, 0.65, 0.60)))[2]
    assert "changing sign" not in numbers


def test_a_crossing_between_knots_of_different_frontiers_is_exact():
    """s has knots at 0.2 and 0.6 (0.75 → 0.55, so 0.65 at 0.4); r at 0.2, 0.4, 0.6 (0.72, 0.70, 0.50).
    s − r = +0.03, −0.05, +0.05: zero at 0.2 + 0.2 · 3/8 = 0.275 and at 0.4 + 0.2 · 1/2 = 0.5, although
    neither is a knot and the evenly spaced levels in between hold no zero."""
    s = front((0.2, 0.6), (0.75, 0.55))
    r = front(X, (0.72, 0.70, 0.50))
    numbers = frontier_dominates(s, r)[2]
    assert numbers.endswith("changing sign at 0.275, 0.500"), numbers


def test_sign_changes_on_hand_made_gaps():
    assert sign_changes([(1.0, 0.3), (2.0, -0.1)]) == pytest.approx([1.75])
    assert sign_changes([(1.0, 0.3), (2.0, 0.1), (3.0, 0.2)]) == []
    # touching zero without changing sign is no crossing; a zero run between signs is named at its first level
    assert sign_changes([(1.0, 0.3), (2.0, 0.0), (3.0, 0.2)]) == []
    assert sign_changes([(1.0, -0.3), (2.0, 0.0), (2.5, 0.0), (3.0, 0.2)]) == pytest.approx([2.0])
    assert sign_changes([]) == [] and sign_changes([(1.0, 0.0)]) == []


def test_a_below_by_more_than_close_within_the_noise_is_inconclusive():
    verdict, why = frontier_dominates(front(X, (0.70, 0.65, 0.60), spread=0.05),
                                      front(X, (0.73, 0.68, 0.63), spread=0.05))[:2]
    assert verdict == "inconclusive" and "seeds overlap" in why


def test_a_close_everywhere_but_never_clearly_above_is_inconclusive():
    verdict, why = frontier_dominates(front(X, (0.70, 0.65, 0.60)), front(X, (0.70 + CLOSE / 2, 0.66, 0.61)))[:2]
    assert verdict == "inconclusive" and "nowhere above it on every seed" in why


def test_a_within_close_below_somewhere_and_clearly_above_elsewhere_is_reproduced():
    verdict, why, numbers = frontier_dominates(front(X, (0.80, 0.66, 0.60)), front(X, (0.70, 0.675, 0.615)))
    assert verdict == "reproduced" and "-0.015 to +0.100" in numbers


def test_a_disjoint_sparsity_ranges_are_inconclusive():
    sparse, dense = front((0.6, 0.7, 0.8), (0.8, 0.7, 0.6)), front((0.1, 0.2, 0.3), (0.5, 0.4, 0.3))
    verdict, why = frontier_dominates(sparse, dense)[:2]
    assert verdict == "inconclusive" and why.startswith("no overlap")


def test_a_compared_only_over_the_common_range():
    """HSVAE is far below outside MAT's range [0.4, 0.6]; inside it, clearly above: reproduced."""
    s = front((0.1, 0.4, 0.6), (0.99, 0.75, 0.70))
    r = front((0.4, 0.5, 0.6), (0.70, 0.68, 0.65))
    verdict, _, numbers = frontier_dominates(s, r)
    assert verdict == "reproduced" and "common range [0.400, 0.600]" in numbers


def test_a_neighbours_without_shared_seeds_are_inconclusive():
    s = Frontier.of(points((0.2,), (0.8,), seeds=(0, 1)) + points((0.6,), (0.7,), seeds=(2, 3), label="q"), "avg_hoyer")
    verdict, why = frontier_dominates(s, front(X, (0.6, 0.55, 0.5)))[:2]
    assert verdict == "inconclusive" and "fewer than two seeds shared" in why


def test_common_levels_hold_both_frontiers_knots_inside_the_common_range():
    levels = common_levels([0.1, 0.35, 0.6], [0.2, 0.5, 0.9], grid=3)
    assert levels == pytest.approx([0.2, 0.35, 0.4, 0.5, 0.6])
    assert common_levels([0.1, 0.2], [0.3, 0.4]) == []
    assert common_levels([0.1, 0.3], [0.3, 0.4]) == [0.3]


# -- eligibility ------------------------------------------------------------------------------------

def test_too_few_sweep_points_or_seeds_leave_no_frontier_to_judge():
    kept, why = eligible(points(X[:2], (0.8, 0.7)), "hsvae")
    assert len(kept) == 2 and why == "hsvae has 2 sweep points with ≥ 2 seeds"
    one_seed = points((0.8,), (0.5,), seeds=(0,), label="single")
    kept, why = eligible(points(X[:2], (0.8, 0.7)) + one_seed, "hsvae")
    assert why == "hsvae has 2 sweep points with ≥ 2 seeds (of 3)"
    kept, why = eligible(points(X, (0.8, 0.7, 0.6)), "hsvae")
    assert len(kept) == MIN_POINTS and why == ""


# -- (b) best accuracy close to the dense VAE's best -----------------------------------------------

def test_b_compares_the_best_points():
    s = points(X, (0.70, 0.65, 0.60))
    d = points(X, (0.50, 0.71, 0.60), label="beta")
    verdict, why, numbers = best_point_close(s, d)
    assert verdict == "reproduced" and "-0.010" in why
    assert "hsvae [p0] acc 0.700" in numbers and "vae [beta1] acc 0.710" in numbers


def test_b_refuted_and_inconclusive():
    s = points(X, (0.70, 0.65, 0.60))
    assert best_point_close(s, points(X, (0.80, 0.5, 0.5)))[0] == "refuted"
    wide = points(X, (0.75, 0.5, 0.5), spread=0.1)
    assert best_point_close(s, wide)[0] == "inconclusive"  # 0.05 apart, seeds overlap


def test_b_discloses_a_collapsed_best_vae_point():
    d = points(X, (0.50, 0.71, 0.60), label="beta")
    d[1] = Point(d[1].label, {**d[1].values, "collapsed_dims": {0: 32.0, 1: 32.0, 2: 32.0}})
    assert "caveat: vae's posterior collapsed in 32 dimensions" in best_point_close(points(X, (0.7, 0.6, 0.5)), d)[1]


# -- (c) class KL above the dense VAE's at matched accuracy ----------------------------------------

def test_c_reproduced_refuted_and_inconclusive():
    s = front(X, (0.80, 0.70, 0.60), kls=(0.5, 0.6, 0.7))
    d = front(X, (0.85, 0.75, 0.65), kls=(0.1, 0.1, 0.1))
    verdict, why, numbers = higher_kl_at_matched_accuracy(s, d)
    assert verdict == "reproduced", why
    assert "common accuracy [0.650, 0.800]" in numbers
    assert higher_kl_at_matched_accuracy(d, s)[0] == "refuted"
    at_null = front(X, (0.80, 0.70, 0.60), kls=(0.0, 0.0, 0.0))
    below = front(X, (0.85, 0.75, 0.65), kls=(-0.5, -0.5, -0.5))
    verdict, why, _ = higher_kl_at_matched_accuracy(at_null, below)
    assert verdict == "inconclusive" and "not above its shuffled-label null" in why
    overlapping = front(X, (0.85, 0.75, 0.65), kls=(0.5, 0.6, 0.7), kl_spread=0.2)
    verdict, why, _ = higher_kl_at_matched_accuracy(s, overlapping)
    assert verdict == "inconclusive" and "the seeds overlap" in why


def test_c_disjoint_accuracy_ranges_and_missing_kl_are_inconclusive():
    s = front(X, (0.80, 0.70, 0.60), kls=(0.5, 0.6, 0.7))
    low = front(X, (0.40, 0.35, 0.30), kls=(0.1, 0.1, 0.1))
    assert higher_kl_at_matched_accuracy(s, low)[1].startswith("no overlap")
    verdict, why, _ = higher_kl_at_matched_accuracy(s, front(X, (0.85, 0.75, 0.65)))
    assert verdict == "inconclusive" and "scored before the class-KL null" in why


# -- from records and the command ------------------------------------------------------------------

def record(method, seed, settings, acc, hoyer, dims, kl, variant=None):
    spec = {"method": method, "corpus": "yahoo", "seed": seed, "preset": "cpu", "train_split": "valid"}
    if variant:
        spec["variant"] = variant
    scores = {"probe_accuracy": acc, "masked_probe_accuracy": acc, "avg_hoyer": hoyer, "active_dims": dims,
              "class_kl_excess": kl}
    return {"cell_id": f"{method}{json.dumps(settings)}{seed}", "status": "ok", "spec": spec, "provenance": {},
            "config": {"method_config": {"backbone": "text", **settings}, "train": {"epochs": 3}, "eval": {}},
            "metrics": {"modes": {"mean": scores}, "modes_kind": {"mean": "deterministic"},
                        "headline_modes": {"deterministic": "mean", "stochastic": None}, "default_mode": "mean",
                        "reconstruction": {}}}


def swept(method, key, rows, seeds=(0, 1, 2)):
    """rows: (value of key, acc, hoyer, dims, kl); seed i adds 0.002·(i − 1) to acc and kl."""
    return [record(method, s, {key: v}, acc + 0.002 * (s - 1), hoyer, dims, kl + 0.002 * (s - 1))
            for v, acc, hoyer, dims, kl in rows for s in seeds]


SWEPT = (swept("hsvae", "psi", [(0.01, 0.80, 0.30, 20.0, 0.30), (0.1, 0.75, 0.45, 15.0, 0.35),
                                (1.0, 0.70, 0.60, 10.0, 0.40)])
         + swept("mat", "gamma", [(0.8, 0.70, 0.30, 20.0, 0.1), (0.5, 0.65, 0.45, 15.0, 0.1),
                                  (0.2, 0.60, 0.60, 10.0, 0.1)])
         + swept("vae", "beta", [(1.0, 0.60, 0.25, 25.0, 0.01), (0.1, 0.72, 0.22, 28.0, 0.02),
                                 (0.01, 0.79, 0.20, 30.0, 0.03)]))


def test_every_claim_on_swept_records():
    verdicts = frontier_verdicts_from_records(SWEPT)
    got = {(v.claim[:3], v.reading): v.verdict for v in verdicts}
    assert got == {("(a)", "active_dims"): "reproduced", ("(a)", "avg_hoyer"): "reproduced", ("(b)", "–"): "reproduced",
                   ("(c)", "active_dims"): "reproduced", ("(c)", "avg_hoyer"): "reproduced"}
    out = render_frontier_verdicts(verdicts)
    assert "single-point verdicts" in out and "are history" in out
    assert "lack of sweep points" not in out
    brief = render_frontier_verdicts(verdicts, brief=True).splitlines()  # the README's copy: a matrix
    assert brief[0] == "| claim | corpus | deterministic, active dims | deterministic, avg Hoyer |"  # kinds judged
    assert len(brief) == 2 + len({v.claim for v in verdicts})  # one corpus: a row per claim
    row = {line.split(" | ")[0].strip("| ")[:3]: line.split(" | ")[2:] for line in brief[2:]}
    assert [c.strip(" |") for c in row["(b)"]] == ["reproduced (n = 3)"] * 2  # one verdict, under both readings
    assert [c.strip(" |") for c in row["(a)"]] == ["reproduced (n = 3)"] * 2  # with the seeds it read
    assert "hsvae: 3 frontier points over [10.000, 20.000], n = 3; mat: 3 frontier points" in out


def test_a_verdict_carries_the_seed_counts_of_the_points_it_read():
    # HSVAE's sparsest point has a third seed, the others two: the verdict read 2 to 3 seeds per point
    two = [r for r in SWEPT if r["spec"]["seed"] < 2 or (r["spec"]["method"] == "hsvae"
                                                          and r["config"]["method_config"]["psi"] == 1.0)]
    verdicts = frontier_verdicts_from_records(two)
    a = next(v for v in verdicts if v.claim.startswith("(a)") and v.reading == "active_dims")
    assert a.seeds == (2, 3) and "hsvae: 3 frontier points over [10.000, 20.000], n = 3/2/2;" in a.numbers
    b = next(v for v in verdicts if v.claim.startswith("(b)"))
    assert b.seeds == (2, 2)  # the two best points: HSVAE's psi = 0.01 and the VAE's beta = 0.01, two seeds each
    brief = render_frontier_verdicts(verdicts, brief=True)
    assert "reproduced (n = 2–3)" in brief and "reproduced (n = 2)" in brief
    few = frontier_verdicts_from_records([r for r in SWEPT if r["spec"]["seed"] == 0])
    assert few and all(v.seeds is None for v in few)  # too few points with two seeds: nothing read
    brief = render_frontier_verdicts(few, brief=True)
    assert "(n =" not in brief and "| inconclusive (too few points) |" in brief


def test_single_points_are_inconclusive_for_lack_of_sweep_points():
    single = [r for r in SWEPT if r["config"]["method_config"].get("psi", 0.01) == 0.01
              and r["config"]["method_config"].get("gamma", 0.8) == 0.8]
    verdicts = frontier_verdicts_from_records(single)
    assert verdicts and all(v.verdict == "inconclusive" for v in verdicts)
    assert all("too few sweep points" in v.reason and "hsvae has 1 sweep point" in v.reason for v in verdicts)
    assert "Every verdict is inconclusive for lack of sweep points" in render_frontier_verdicts(verdicts)


def _write(root, records):
    for i, rec in enumerate(records):
        folder = root / "runs" / f"{rec['spec']['method']}-yahoo-seed{rec['spec']['seed']}-{i:04d}"
        folder.mkdir(parents=True)
        (folder / "record.json").write_text(json.dumps(rec))


def test_the_command_prints_frontier_verdicts_and_keeps_the_single_point_history(tmp_path, capsys):
    _write(tmp_path, SWEPT)
    assert main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Claims judged on accuracy–sparsity frontiers") and "| (a) frontier dominates" in out
    assert main([str(tmp_path), "--single-point"]) == 0
    history = capsys.readouterr().out
    assert history.startswith("| claim | corpus | modes | verdict |")
    assert main([]) == 2 and main([str(tmp_path), "extra"]) == 2


def test_python_m_bench_claims_runs(tmp_path):
    _write(tmp_path, SWEPT)
    res = subprocess.run([sys.executable, "-m", "bench.paper.claims", str(tmp_path)], capture_output=True, text=True)
    assert res.returncode == 0 and "**reproduced**" in res.stdout, res.stderr
