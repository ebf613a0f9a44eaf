"""The k-sparse probe surface: scale-invariant selection of the planted features, accuracy rising with k."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from tasks.code_stats import correlation_ratio, ranked_features
from tasks.ksparse import headline, ksparse_surface, subsample
from tasks.probes import probe_sweep, stratified_subsample


def test_correlation_ratio_by_hand():
    # x = 1, 2, 3, 4 with classes 0, 0, 1, 1: mean 2.5, class means 1.5 and 3.5
    # between = 2·1² + 2·1² = 4, total = 2.25 + 0.25 + 0.25 + 2.25 = 5, η² = 0.8
    x = np.array([[1.0, 7.0, 0.0], [2.0, 7.0, 1.0], [3.0, 7.0, 0.0], [4.0, 7.0, 1.0]])
    y = np.array([0, 0, 1, 1])
    eta = correlation_ratio(x, y)
    assert eta[0] == pytest.approx(0.8)
    assert eta[1] == -1.0, "a constant feature ranks below every real η²"
    assert eta[2] == pytest.approx(0.0)  # class means equal: nothing between the classes
    assert list(ranked_features(eta)) == [0, 2], "the constant feature is never chosen"
    assert correlation_ratio(sp.csr_matrix(x), y) == pytest.approx(eta), "sparse and dense agree"


def test_correlation_ratio_is_scale_and_offset_invariant():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(4), 50)
    x = rng.standard_normal((200, 6)) + np.eye(4, 6)[y] * np.array([1, 2, 0.5, 3, 0, 0])
    scaled = x * np.array([1e3, 1e-3, 7.0, 0.01, 100.0, 1.0]) + np.array([5.0, -2.0, 1e4, 0.0, 3.0, -9.0])
    assert correlation_ratio(scaled, y) == pytest.approx(correlation_ratio(x, y), abs=1e-9)


def _planted(rng, n_per_class=60, classes=4, noise_dims=30):
    """Classes separated by features 3, 11 and 20 only (each one pair of classes), the rest noise, and every
    feature on its own scale: a dense feature ×1000, a sparse-looking one ×0.001."""
    y = np.repeat(np.arange(classes), n_per_class)
    x = rng.standard_normal((len(y), noise_dims))
    informative = {3: (0, 1), 11: (2, 3), 20: (0, 2)}
    for d, cls in informative.items():
        x[:, d] += 3.0 * np.isin(y, cls)
    scale = np.ones(noise_dims)
    scale[3], scale[11], scale[5] = 1000.0, 0.001, 1e6  # the huge-scale feature 5 is noise
    return x * scale, y, set(informative)


def test_selection_picks_the_planted_features_whatever_their_scale():
    rng = np.random.default_rng(1)
    (x, y, planted), (xt, yt, _) = _planted(rng), _planted(rng)
    points = ksparse_surface(x, y, xt, yt, ks=(3,), sizes=(None,), random_state=0)
    assert set(points[0].features[0]) == planted


def test_accuracy_rises_with_k_and_every_point_is_reported():
    rng = np.random.default_rng(2)
    (x, y, _), (xt, yt, _) = _planted(rng), _planted(rng)
    points = ksparse_surface(x, y, xt, yt, ks=(1, 2, 3, 20), sizes=(10, None), repeats=2, random_state=0)
    assert [(p.per_class, p.k) for p in points] == [(10, 1), (10, 2), (10, 3), (10, 20), (None, 1), (None, 2),
                                                     (None, 3), (None, 20)]
    acc = {p.k: p.accuracy_mean for p in points if p.per_class is None}
    # one feature separates one pair of classes (≈ half right), three separate all four
    assert acc[1] < acc[2] < acc[3] and acc[3] > 0.85 and acc[1] < 0.6
    ten = [p for p in points if p.per_class == 10]
    assert all(p.repeats == 2 and p.n_train == 40 and len(p.accuracies) == 2 for p in ten)
    assert headline(points, k=3).accuracy_mean == acc[3]


def test_k_is_capped_at_the_usable_features_and_a_collapsed_code_predicts_the_majority():
    rng = np.random.default_rng(3)
    y = np.array([0] * 30 + [1] * 20)
    x = np.column_stack([rng.standard_normal(50) + 2 * y, np.zeros(50), np.ones(50)])
    points = ksparse_surface(x, y, x, y, ks=(1, 5), sizes=(None,))
    assert [p.k_used for p in points] == [1, 1], "two constant features are never chosen"
    assert points[0].accuracies == points[1].accuracies
    dead = ksparse_surface(np.zeros((50, 3)), y, np.zeros((10, 3)), np.array([1] * 7 + [0] * 3), ks=(5,),
                           sizes=(None,))
    assert dead[0].k_used == 0 and dead[0].accuracy_mean == pytest.approx(0.3), "majority class of the training labels"


def test_the_labelled_subsample_is_the_probe_sweeps():
    """Same (n, repeat) → the same labelled codes as the headline sweep; so with every feature the k-sparse
    probe is the sweep's probe."""
    rng = np.random.default_rng(4)
    y = np.repeat(np.arange(3), 40)
    for n, r in ((5, 0), (5, 2), (12, 1)):
        expected = stratified_subsample(y, n, np.random.default_rng(np.random.SeedSequence([7, n, r])))
        assert np.array_equal(subsample(y, n, r, 7), expected)
    assert subsample(y, 40, 0, 7) is None, "a size as large as every class is the whole split"
    x = rng.standard_normal((120, 4)) + np.eye(3, 4)[y]
    xt = rng.standard_normal((60, 4)) + np.eye(3, 4)[np.repeat(np.arange(3), 20)]
    yt = np.repeat(np.arange(3), 20)
    sweep = probe_sweep(x, y, xt, yt, sizes=(5,), repeats=2, random_state=7)
    surface = ksparse_surface(x, y, xt, yt, ks=(4,), sizes=(5,), repeats=2, random_state=7)
    assert surface[0].accuracies == pytest.approx(sweep[0].accuracies, abs=1.5 / len(yt))


def test_sparse_codes_give_the_dense_codes_numbers_and_runs_repeat():
    rng = np.random.default_rng(5)
    y = np.repeat(np.arange(3), 40)
    x = np.where(rng.random((120, 50)) < 0.1, rng.random((120, 50)) + np.eye(3, 50)[y], 0.0)
    a = ksparse_surface(x, y, x, y, ks=(2, 5), sizes=(10, None), random_state=3)
    b = ksparse_surface(sp.csr_matrix(x), y, sp.csr_matrix(x), y, ks=(2, 5), sizes=(10, None), random_state=3)
    assert [(p.accuracies, p.features) for p in a] == [(p.accuracies, p.features) for p in b]
    assert ksparse_surface(x, y, x, y, ks=(2, 5), sizes=(10, None), random_state=3) == a
