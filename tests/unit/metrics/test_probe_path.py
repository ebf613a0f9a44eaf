"""Scoring protocol 4's cheaper probe: the path over C stops past its peak, and a dense code is probed on
standardised features only.  Both must choose what protocol 3's rule chooses wherever it could not matter."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegressionCV
from sklearn.model_selection import StratifiedKFold

from tasks.probes import (DEFAULT_C_GRID, DEFAULT_MAX_ITER, DEFAULT_PATIENCE, DEFAULT_TOL, SCALERS, _features,
                          best_on_path, candidate_scalers, choose_C, logistic_probe, scale)

from .test_probe_rule import _rare_noise, _rare_signal, topk_like


@pytest.mark.parametrize("curve, patience, expected", [
    ([0.3, 0.5, 0.7, 0.6, 0.5, 0.9], 2, (2, 0.7, 5)),  # two falls in a row: the path stops before the 0.9
    ([0.3, 0.5, 0.7, 0.6, 0.5, 0.9], None, (5, 0.9, 6)),  # the whole path reads it
    ([0.3, 0.5, 0.7, 0.6, 0.5, 0.9], 3, (5, 0.9, 6)),
    ([0.3, 0.5, 0.4, 0.4, 0.9], 2, (1, 0.5, 4)),  # the docstring's case: a dip of two points hides a higher peak
    ([0.5, 0.4, 0.4, 0.9], 2, (3, 0.9, 4)),  # falls from the first point are not a fall past a peak
    ([0.5, 0.5, 0.5, 0.4, 0.4, 0.6], 2, (5, 0.6, 6)),  # a flat start: ties go to the smallest C, not counted as falls
    ([0.5, 0.4, 0.5, 0.4, 0.5, 0.6], 2, (5, 0.6, 6)),  # a tie breaks a run of falls
    ([0.2, 0.4, 0.6, 0.8], 2, (3, 0.8, 4)),  # still rising at the largest C
    ([0.4, 0.4, 0.4, 0.4], 2, (0, 0.4, 4)),  # a code that never rises is read to the end; the smallest C wins the tie
    # HSVAE alpha=4 beta=1 lambda=1 on Yahoo, seed 2 (results/reference/frontier-text/masked_probe.md): the inner
    # accuracy wobbles on a plateau of almost constant predictors, then climbs.  Protocols 4-6 stopped at index 2.
    ([0.1482, 0.1481, 0.1480, 0.149, 0.153, 0.171, 0.192, 0.198, 0.197, 0.196, 0.195], 2, (7, 0.198, 10)),
    ([0.300, 0.309, 0.305, 0.304, 0.5], 2, (4, 0.5, 5)),  # a rise within the tolerance is still the plateau
    ([0.300, 0.311, 0.305, 0.304, 0.5], 2, (1, 0.311, 4)),  # past it, two falls end the path
])
def test_best_on_path_stops_after_patience_falls_past_a_rise_and_keeps_the_smallest_C_of_a_tie(curve, patience,
                                                                                                expected):
    read = []

    def lazily():  # the path is a generator: what is not read is never fit
        for value in curve:
            read.append(value)
            yield value

    assert best_on_path(lazily(), patience) == expected
    assert len(read) == expected[2]


def test_protocol_6s_rule_stopped_on_the_plateau():
    """``rise=0`` is the rule of scoring protocols 4-6: the plateau curve above stops at its first point."""
    curve = [0.1482, 0.1481, 0.1480, 0.149, 0.153, 0.171, 0.192, 0.198]
    assert best_on_path(iter(curve), 2, rise=0.0) == (0, 0.1482, 3)
    assert best_on_path(iter(curve), 2) == (7, 0.198, 8)


def _lrcv_choice(x, y, grid, folds=5, seed=0):
    """Protocol 3's choice: the whole path by scikit-learn's LogisticRegressionCV (first maximum of the mean)."""
    cv = LogisticRegressionCV(Cs=list(grid), cv=StratifiedKFold(folds, shuffle=True, random_state=seed),
                              scoring="accuracy", tol=DEFAULT_TOL, max_iter=DEFAULT_MAX_ITER, refit=False,
                              l1_ratios=(0.0,), use_legacy_attributes=False).fit(x, y)
    mean = np.asarray(cv.scores_).reshape(folds, -1, len(grid)).mean(axis=(0, 1))
    return grid[int(np.argmax(mean))], float(mean.max()), mean


def _gaussian(rng, n):
    y = np.arange(n) % 4
    return 0.5 * np.eye(4, 12)[y] + rng.standard_normal((n, 12)), y


@pytest.mark.parametrize("make, n, scaler", [(_gaussian, 400, "standard"), (_rare_noise, 300, "maxabs"),
                                            (_rare_noise, 300, "standard"), (_rare_signal, 300, "standard"),
                                            (topk_like, 600, "maxabs")])
def test_the_stopped_path_chooses_what_the_whole_path_chooses_on_single_peaked_curves(make, n, scaler):
    """On codes whose inner accuracy rises to one peak over log C (dense Gaussian classes, rare noise
    features, rare signal features, TopK-like codes), stopping two points past the peak gives the C
    and the inner accuracy of the whole path of scikit-learn's LogisticRegressionCV (protocol 3)."""
    rng = np.random.default_rng(7)
    x, y = make(rng, n)
    x = scale(scaler, _features(x, True))[0]
    grid = tuple(sorted(DEFAULT_C_GRID))
    C_ref, acc_ref, curve = _lrcv_choice(x, y, grid)
    peak = int(np.argmax(curve))
    assert np.all(np.diff(curve[:peak + 1]) >= -1e-12), f"not single-peaked before its maximum: {curve}"
    kw = dict(max_iter=DEFAULT_MAX_ITER, tol=DEFAULT_TOL, random_state=0)
    assert choose_C(x, y, grid, 5, patience=None, **kw) == pytest.approx((C_ref, acc_ref), abs=1e-12)
    assert choose_C(x, y, grid, 5, patience=DEFAULT_PATIENCE, **kw) == pytest.approx((C_ref, acc_ref), abs=1e-12)


def test_a_dense_code_is_probed_on_standardised_features_and_a_mostly_zero_one_chooses_its_scaler():
    """"auto" tries max-abs scaling only where it can differ from standardising by more than a roughly
    uniform factor per feature: a mostly-zero code (a sparse matrix, as ``_features`` leaves it)."""
    rng = np.random.default_rng(8)
    dense, y = _gaussian(rng, 200)
    sparse_code, _ = _rare_noise(rng, 200)  # ~97 % zeros
    assert candidate_scalers("auto", _features(dense, True)) == ("standard",)
    assert candidate_scalers("auto", _features(sparse_code, True)) == SCALERS
    assert candidate_scalers("auto", sp.csr_matrix(sparse_code)) == SCALERS  # TF-IDF-like input: both
    assert candidate_scalers("auto", sp.csr_matrix(dense)) == ("standard",)  # by its values, not its representation
    assert candidate_scalers("maxabs", _features(dense, True)) == ("maxabs",)  # an explicit scaler is kept
    xt, yt = _gaussian(rng, 400)
    auto, standard = logistic_probe(dense, y, xt, yt), logistic_probe(dense, y, xt, yt, scaler="standard")
    assert auto == standard and auto.scaler == "standard" and auto.folds == 5


def _weak(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A weak code: 10 balanced classes, each a shift of 0.05-0.3 noise stds on one of 16 dimensions."""
    rng = np.random.default_rng(seed)
    y = np.arange(400) % 10
    shift = rng.uniform(0.05, 0.3)
    return scale("standard", _features(shift * np.eye(10, 16)[y] + rng.standard_normal((400, 16)), True))[0], y


def test_on_weak_codes_the_path_walks_through_its_opening_plateau_and_chooses_what_the_whole_path_chooses():
    """Scoring protocol 7.  On weak codes the inner accuracy of the smallest Cs wobbles on a plateau before it
    climbs; protocol 6's rule (``rise=0``) stopped there at C = 1e-6, the rule of today reads on and chooses the
    C of the whole path every time."""
    grid = tuple(sorted(DEFAULT_C_GRID))
    kw = dict(max_iter=DEFAULT_MAX_ITER, tol=DEFAULT_TOL)
    stopped_on_the_plateau = 0
    for seed, folds_seed in [(9, 1), (4, 2), (24, 2), (11, 0), (0, 0)]:
        x, y = _weak(seed)
        whole = choose_C(x, y, grid, 5, random_state=folds_seed, patience=None, **kw)
        assert choose_C(x, y, grid, 5, random_state=folds_seed, **kw) == whole
        old = choose_C(x, y, grid, 5, random_state=folds_seed, rise=0.0, **kw)
        stopped_on_the_plateau += old[0] == grid[0] and whole[1] > old[1]
    assert stopped_on_the_plateau >= 3
