"""Class-activation analysis over activity matrices: identical classes → KL 0, a hand-computed example."""
from __future__ import annotations

import numpy as np
import pytest

from tasks.class_activation import class_activation, js_matrix, kl_matrix


def test_identical_class_distributions_give_kl_zero():
    rng = np.random.default_rng(0)
    block = (rng.random((50, 12)) < 0.3).astype(float)
    codes = np.vstack([block, block, block])  # three classes with exactly the same activity
    r = class_activation(codes, np.repeat([0, 1, 2], 50))
    np.testing.assert_allclose(r.kl, 0.0, atol=1e-12)
    assert r.kl_mean == pytest.approx(0.0, abs=1e-12) and r.js_mean == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(r.profile[0], r.profile[1])


def test_hand_computed_two_class_example():
    """Class 0 activates dims (a, a, a+b): P0 = (3/4, 1/4); class 1 mirrored: P1 = (1/4, 3/4).

    KL(P0‖P1) = ¾ ln 3 + ¼ ln ⅓ = ½ ln 3; JS = ¾ ln(3/2) + ¼ ln(1/2) (M = (½, ½))."""
    codes = np.array([[1, 0], [1, 0], [1, 1], [0, 1], [0, 1], [1, 1]], dtype=float)
    labels = np.array([5, 5, 5, 9, 9, 9])
    exact = class_activation(codes, labels, smoothing=0.0)
    assert exact.classes == [5, 9]
    np.testing.assert_allclose(exact.distributions, [[0.75, 0.25], [0.25, 0.75]])
    np.testing.assert_allclose(exact.profile, [[1.0, 1 / 3], [1 / 3, 1.0]])
    assert exact.kl[0, 1] == pytest.approx(0.5 * np.log(3), rel=1e-12)
    assert exact.kl_mean == pytest.approx(0.5 * np.log(3), rel=1e-12)
    assert exact.js_mean == pytest.approx(0.75 * np.log(1.5) + 0.25 * np.log(0.5), rel=1e-12)
    # the default: smoothed by 1e-6
    smoothed = class_activation(codes, labels)
    p, q = (np.array([0.75, 0.25]) + 1e-6) / (1 + 2e-6), (np.array([0.25, 0.75]) + 1e-6) / (1 + 2e-6)
    assert smoothed.kl_mean == pytest.approx(float(np.sum(p * np.log(p / q))), rel=1e-12)


def test_kl_is_asymmetric_mean_is_over_ordered_pairs():
    p = np.array([[0.5, 0.5, 1e-9], [0.9, 0.05, 0.05], [1 / 3, 1 / 3, 1 / 3]])
    p /= p.sum(1, keepdims=True)
    kl = kl_matrix(p)
    direct = [[float(np.sum(a * np.log(a / b))) for b in p] for a in p]
    np.testing.assert_allclose(kl, direct, atol=1e-12)
    assert kl[0, 1] != pytest.approx(kl[1, 0])
    labels = np.repeat([0, 1, 2], 40)
    rng = np.random.default_rng(3)
    codes = (rng.random((120, 6)) < np.array([[0.2] * 6, [0.5] * 6, [0.9, 0.1] * 3])[labels]).astype(float)
    r = class_activation(codes, labels)
    assert r.kl_mean == pytest.approx(r.kl[~np.eye(3, dtype=bool)].mean())  # the 6 ordered pairs
    js = js_matrix(p)
    np.testing.assert_allclose(js, js.T)
    assert np.all(js <= np.log(2) + 1e-12)


def test_more_class_specific_patterns_give_larger_divergence():
    rng = np.random.default_rng(1)
    labels = np.repeat(np.arange(4), 200)
    shared = (rng.random((800, 16)) < 0.25).astype(float)
    mask = np.zeros((800, 16), dtype=bool)
    mask[np.arange(800)[:, None], (labels[:, None] * 4 + np.arange(4))] = True  # each class owns 4 dims
    specific = mask.astype(float)
    assert class_activation(specific, labels).kl_mean > 1.0 > class_activation(shared, labels).kl_mean


def test_degenerate_inputs_are_counted_not_nan():
    codes = np.zeros((6, 3))
    codes[:3, 0] = [1.0, 1.0, 0.5]  # class 1 never active
    r = class_activation(codes, [0, 0, 0, 1, 1, 1])
    assert r.silent_classes == 1
    np.testing.assert_allclose(r.distributions[1], 1 / 3)  # a silent class is uniform
    assert np.all(np.isfinite(r.kl)) and np.isfinite(r.kl_mean) and r.kl_mean > 0
    single = class_activation(np.random.default_rng(2).random((5, 3)), np.zeros(5))
    assert single.kl_mean == 0.0 and single.kl.shape == (1, 1)
    with pytest.raises(ValueError, match="must match"):
        class_activation(np.zeros((3, 2)), [0, 1])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        class_activation(np.full((2, 2), 2.0), [0, 1])


def _expected_noise_kl(sizes: np.ndarray, rates: np.ndarray) -> float:
    """Mean over ordered class pairs of E[KL(P̂_i ‖ P̂_j)] when every class draws entry d active with
    probability r_d (independent Bernoulli), to second order: KL ≈ ½ Σ_d (P̂_i,d − P̂_j,d)² / p_d, so
    E ≈ ½ Σ_d (Var P̂_i,d + Var P̂_j,d) / p_d, with p_d = r_d / R, R = Σ r, v_d = r_d (1 − r_d), V = Σ v, and
    by the delta method Var P̂_d = ((1 − p_d)² v_d + p_d² (V − v_d)) / (n R²) for a class of n codes."""
    big_r, v = rates.sum(), rates * (1 - rates)
    p = rates / big_r
    var_unit = ((1 - p) ** 2 * v + p ** 2 * (v.sum() - v)) / big_r ** 2  # n · Var P̂_d
    per_class = [float(np.sum(var_unit / n / p)) for n in sizes]
    c = len(sizes)
    return sum(0.5 * (per_class[i] + per_class[j]) for i in range(c) for j in range(c) if i != j) / (c * (c - 1))


def test_class_kl_of_class_independent_activity_is_its_null_and_the_sampling_bias():
    """Activity unrelated to the class still has a class KL > 0: the estimation bias.  The shuffled-label
    null finds that level, and both agree with the first-order closed form."""
    from tasks.class_activation import null_class_kl

    rng = np.random.default_rng(1)
    n, d, c = 6000, 20, 4
    rates = np.linspace(0.05, 0.4, d)
    activity = (rng.random((n, d)) < rates).astype(float)
    labels = rng.integers(0, c, n)
    kl = class_activation(activity, labels).kl_mean
    null = null_class_kl(activity, labels, seed=0, permutations=50)
    expected = _expected_noise_kl(np.bincount(labels), rates)
    assert null.mean == pytest.approx(expected, rel=0.1)
    assert kl == pytest.approx(expected, rel=0.3)  # one draw of the same noise
    assert abs(kl - null.mean) < 4 * null.std + 1e-12


def test_class_specific_activity_is_far_above_its_null():
    from tasks.class_activation import null_class_kl

    rng = np.random.default_rng(2)
    labels = np.repeat([0, 1], 3000)
    rates = np.where(labels[:, None] == 0, [0.6, 0.2, 0.2, 0.2], [0.2, 0.2, 0.2, 0.6])
    activity = (rng.random((6000, 4)) < rates).astype(float)
    kl = class_activation(activity, labels).kl_mean
    null = null_class_kl(activity, labels, seed=0)
    p, q = np.array([0.6, 0.2, 0.2, 0.2]) / 1.2, np.array([0.2, 0.2, 0.2, 0.6]) / 1.2
    assert kl == pytest.approx(float(np.sum(p * np.log(p / q))), rel=0.05)  # the true KL, both directions equal
    assert null.mean < 0.01 * kl


def test_null_is_seeded_keeps_class_sizes_and_reads_sparse_activity():
    import scipy.sparse as sp

    from tasks.class_activation import null_class_kl

    rng = np.random.default_rng(3)
    activity = (rng.random((300, 9)) < 0.2).astype(float)
    labels = rng.choice([3, 7, 8], 300, p=[0.6, 0.3, 0.1])
    a, b = null_class_kl(activity, labels, seed=5), null_class_kl(activity, labels, seed=5)
    assert a == b and a.permutations == 5 and a.std > 0
    assert null_class_kl(activity, labels, seed=6) != a
    s = null_class_kl(sp.csr_matrix(activity), labels, seed=5)
    assert s.mean == pytest.approx(a.mean, rel=1e-12)
    with pytest.raises(ValueError, match="permutations"):
        null_class_kl(activity, labels, seed=0, permutations=0)


def test_the_null_scorer_reports_the_kl_above_the_null_with_the_cell_seed():
    from tasks.class_activation import null_class_kl
    from tasks.metrics import all_scorers

    scorer = next(s for s in all_scorers() if s.name == "class_activation_null")
    rng = np.random.default_rng(4)
    activity = (rng.random((400, 6)) < 0.3).astype(float)
    labels = rng.integers(0, 3, 400)
    out = scorer.compute({"test_activity": activity, "test_labels": labels, "seed": 11}, None)
    null = null_class_kl(activity, labels, seed=11)
    assert out.scalars["class_kl_null"] == null.mean
    assert out.scalars["class_kl_excess"] == pytest.approx(class_activation(activity, labels).kl_mean - null.mean)
    assert out.analysis == {"null_std": null.std, "permutations": 5}
