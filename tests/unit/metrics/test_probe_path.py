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
    ([0.5, 0.4, 0.4, 0.9], 2, (0, 0.5, 3)),  # the docstring's case: a dip of two points hides a higher peak
    ([0.5, 0.5, 0.5, 0.4, 0.4, 0.6], 2, (0, 0.5, 5)),  # a flat start: ties go to the smallest C, not counted as falls
    ([0.5, 0.4, 0.5, 0.4, 0.5, 0.6], 2, (5, 0.6, 6)),  # a tie breaks a run of falls
    ([0.2, 0.4, 0.6, 0.8], 2, (3, 0.8, 4)),  # still rising at the largest C
])
def test_best_on_path_stops_after_patience_falls_and_keeps_the_smallest_C_of_a_tie(curve, patience, expected):
    read = []

    def lazily():  # the path is a generator: what is not read is never fit
        for value in curve:
            read.append(value)
            yield value

    assert best_on_path(lazily(), patience) == expected
    assert len(read) == expected[2]


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
