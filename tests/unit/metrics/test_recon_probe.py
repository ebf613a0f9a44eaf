"""The decoded-embedding probe (scoring protocol 6): x̂ whitened by its training PCA, then the headline probe.

A decoded embedding is a smooth function of a small code, so its coordinates are nearly collinear: standardised,
lbfgs stopped at its iteration cap at the large Cs the inner CV reached.  These cases are built by hand."""
from __future__ import annotations

import numpy as np

from tasks.probes import WHITEN_FLOOR, logistic_probe, whitened
from tasks.scorers import BUILTIN_SCORERS
from tasks.scoring import ScoringConfig, score


def _decoded(n: int, seed: int, rank: int = 4, width: int = 48) -> tuple[np.ndarray, np.ndarray]:
    """x̂ = A z in float32 (rank ``rank``), with the class in a direction of tiny variance."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    z = rng.standard_normal((n, rank)) * np.array([30.0, 10.0, 3.0, 1.0])[:rank]
    z[:, -1] += 2.0 * (y - 1)  # the class: the smallest direction (Bayes accuracy about 0.74)
    a = np.random.default_rng(99).standard_normal((rank, width))
    return (z @ a).astype(np.float32), y


def test_whitening_keeps_the_rank_and_gives_unit_variance():
    x, _ = _decoded(400, 0)
    train, test, kept = whitened(x, x[:7])
    assert kept == 4 and train.shape == (400, 4) and test.shape == (7, 4)
    np.testing.assert_allclose(train.var(0, ddof=1), 1.0, rtol=1e-6)  # whitened: unit variance, float32 noise gone
    np.testing.assert_allclose(test, train[:7])


def test_a_constant_decoded_embedding_is_one_zero_column():
    train, test, kept = whitened(np.ones((20, 5), np.float32), np.ones((3, 5), np.float32))
    assert kept == 0 and not train.any() and train.shape == (20, 1) and test.shape == (3, 1)


def test_the_floor_is_relative_to_the_largest_variance():
    x = np.diag([1.0, 1e-4, 1e-12]) @ np.random.default_rng(0).standard_normal((3, 200))
    assert whitened(x.T, x.T)[2] == 2, f"the 1e-24 variance direction is below {WHITEN_FLOOR:g} of the largest"


def test_the_whitened_probe_finds_the_class_in_the_smallest_direction_and_converges():
    (x, y), (xt, yt) = _decoded(900, 0), _decoded(900, 1)
    train, test, _ = whitened(x, xt)
    white = logistic_probe(train, y, test, yt)
    standardised = logistic_probe(x, y, xt, yt)
    assert white.converged and white.accuracy > 0.68, white  # chance 1/3, Bayes about 0.74
    assert white.accuracy >= standardised.accuracy - 0.02, (white, standardised)


def test_the_scorer_probes_the_whitened_embedding_and_records_the_directions():
    (x, y), (xt, yt) = _decoded(600, 0), _decoded(600, 1)
    scorers = [s for s in BUILTIN_SCORERS if s.name == "reconstruction_probe"]
    out = score({"seed": 0, "train_decoded": x, "test_decoded": xt, "train_labels": y, "test_labels": yt},
                ScoringConfig(), scorers=scorers)
    train, test, kept = whitened(x, xt)
    direct = logistic_probe(train, y, test, yt, random_state=0)
    assert out.scalars["recon_probe_accuracy"] == direct.accuracy and out.scalars["recon_probe_C"] == direct.C
    assert out.analysis["reconstruction_probe"]["whitened_directions"] == kept == 4
