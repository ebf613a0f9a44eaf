"""Scoring one mode of an embedding-track cell with the full default scoring (every probe size and repeat,
the decoded-embedding probe, every other scorer), single-threaded: the target is under 2 minutes a cell
on one core (docs/probes.md gives measured numbers; run alone with ``taskset -c 0``).

The codes are those of a small TopK sparse autoencoder on class-structured 384-d "embeddings":
10,000 train and 10,000 test sentences, 10 classes, a 1,536-wide dictionary with 32 active per code,
decoded back to 384 dimensions; beside it a dense 32-d code (a random projection of the same
embeddings, as an HSVAE-sized mode) decoded through a tanh layer of 256 (full rank, as a VAE's
decoder).  Time is recorded by pytest-benchmark
(wall clock) and in ``extra_info["cpu_seconds"]`` (process time), not asserted; the test asserts only
that the scoring did what it claims.  A cell is one mode (TopK, CSR, ...) or up to four (HSVAE: four
32-d modes; one of them, the deterministic headline, with the decoded-embedding probe, which dominates; the
k-sparse surface for the headline and default modes only).
"""
from __future__ import annotations

import time

import numpy as np
import pytest

from tasks.activity import read_activity
from tasks.probes import DEFAULT_SIZES
from tasks.scoring import ScoringConfig, score

CLASSES, TRAIN, TEST, EMBED, WIDTH, ACTIVE, DENSE = 10, 10_000, 10_000, 384, 1_536, 32, 32
#: Class-centre spread in units of the noise, and the power law of the embedding's spectrum (component i
#: scaled by (i + 1)^-DECAY, a random rotation): ill-conditioned like MiniLM's, probes reach ~0.6 as on Yahoo,
#: and the TopK features are active in 0.2-10 % of the codes (real TopK codes on Yahoo: 0.6-33 %).
SEPARATION, DECAY = 6.0, 0.5


class Embeddings:
    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.centres = SEPARATION / np.sqrt(2 * EMBED) * rng.standard_normal((CLASSES, EMBED))
        self.scales = (np.arange(EMBED) + 1.0) ** -DECAY
        self.rotation = np.linalg.qr(rng.standard_normal((EMBED, EMBED)))[0]

    def draw(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        y = np.arange(n) % CLASSES
        x = (self.centres[y] + self.rng.standard_normal((n, EMBED))) * self.scales @ self.rotation
        return x.astype(np.float32), y


def _topk(x: np.ndarray, encoder: np.ndarray) -> np.ndarray:
    pre = np.maximum(x @ encoder, 0.0)
    keep = np.argpartition(-pre, ACTIVE, axis=1)[:, :ACTIVE]
    codes = np.zeros_like(pre)
    np.put_along_axis(codes, keep, np.take_along_axis(pre, keep, axis=1), axis=1)
    return codes


@pytest.fixture(scope="module")
def cell() -> dict[str, dict]:
    rng = np.random.default_rng(0)
    embeddings = Embeddings(rng)
    (x, y), (xt, yt), (xd, _) = embeddings.draw(TRAIN), embeddings.draw(TEST), embeddings.draw(TRAIN)
    encoder = (rng.standard_normal((EMBED, WIDTH)) / np.sqrt(EMBED)).astype(np.float32)
    projection = (rng.standard_normal((EMBED, DENSE)) / np.sqrt(EMBED)).astype(np.float32)
    hidden = (rng.standard_normal((DENSE, 256)) / np.sqrt(DENSE)).astype(np.float32)
    modes = {}
    for name, enc, lift in (("topk", lambda a: _topk(a, encoder), lambda c: c),
                            ("dense", lambda a: a @ projection, lambda c: np.tanh(c @ hidden))):
        train, test = enc(x), enc(xt)
        decoder = np.linalg.lstsq(lift(enc(xd)), xd, rcond=None)[0]  # fit on other sentences
        # TopK's inactive entries are exact zeros; the dense code is read by the raw-code threshold, as a VAE's
        # means are, so its masked probe (scoring protocol 7) is a second fit
        exact = name == "topk"
        (test_activity, rule), (train_activity, _) = (read_activity(c, exact_zeros=exact) for c in (test, train))
        modes[name] = {"seed": 0, "train_codes": train, "train_labels": y, "test_codes": test, "test_labels": yt,
                       "test_activity": test_activity, "activity_rule": rule,
                       "train_activity": train_activity, "headline": True,
                       "test_inputs": xt, "test_decoded": lift(test) @ decoder, "train_decoded": lift(train) @ decoder}
    return modes


@pytest.mark.parametrize("mode", ["topk", "dense"])
def test_default_scoring_of_an_embedding_cell(benchmark, cell, mode):
    inputs = cell[mode]
    cpu: list[float] = []

    def timed() -> object:  # CPU seconds beside pytest-benchmark's wall clock: on a busy machine the fairer figure
        start = time.process_time()
        try:
            return score(inputs, ScoringConfig())
        finally:
            cpu.append(time.process_time() - start)

    out = benchmark.pedantic(timed, rounds=1, iterations=1)
    sweep = out.analysis["probes"]["sweep"]
    benchmark.extra_info.update(mode=mode, cpu_seconds=round(cpu[0], 2), train=TRAIN, test=TEST,
                                width=inputs["train_codes"].shape[1],
                                active=float((inputs["test_codes"] != 0).sum(1).mean()),
                                probe_accuracy=round(out.scalars["probe_accuracy"], 4),
                                probe_C=out.scalars["probe_C"], recon_probe_C=out.scalars["recon_probe_C"],
                                scalers=[row["scalers"] for row in sweep],
                                scorer_seconds={k: round(v, 2) for k, v in out.seconds.items()})
    assert [row["per_class"] for row in sweep] == list(DEFAULT_SIZES)
    assert [row["repeats"] for row in sweep] == [3, 3, 1, 1]  # 1000 per class is the whole training split
    assert all(f >= 2 for row in sweep for f in row["folds"]), "every fit chose its C by cross-validation"
    assert out.scalars["probe_accuracy"] > 1.5 / CLASSES and out.scalars["probe_unconverged"] == 0
    assert {"recon_probe_accuracy", "avg_hoyer", "class_kl_excess", "fvu", "ksparse_accuracy", "masked_flops",
            "ablation_score", "cluster_v_measure", "masked_probe_accuracy"} <= set(out.scalars)
    assert out.analysis["probes"]["masked"]["masked_is_raw"] is (mode == "topk")
