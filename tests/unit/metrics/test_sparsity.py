"""Known answers for Hoyer, Average Hoyer (simulated reference values: i.i.d. N(0, 1) codes give
0.202·√D/(√D − 1) analytically), Hoyer ratio (``compute_hoyer_ratio`` of HSVAE's
``Scripts/Experiments/sparsity_and_distribut.py``), L0."""
from __future__ import annotations

import numpy as np
import pytest

from tasks.activity import read_activity
from tasks.sparsity import (active_dims, active_fraction, average_hoyer, constant_dims, dead_fraction, exact_l0,
                             hoyer, hoyer_ratio)


def spike_and_slab(rng: np.random.Generator, n: int, d: int, gamma: float = 0.8) -> np.ndarray:
    """HSVAE's prior: with probability γ the spike N(0, 0.05²), else the slab N(0, 1)."""
    spike = rng.random((n, d)) < gamma
    return np.where(spike, 0.05, 1.0) * rng.standard_normal((n, d))


def test_one_hot_codes_have_hoyer_one():
    z = np.eye(8)[[0, 3, 7, 7]] * np.array([[1.0], [-2.5], [0.3], [7.0]])
    np.testing.assert_allclose(hoyer(z), 1.0)
    assert average_hoyer(z, normalise=False).value == pytest.approx(1.0)


def test_constant_and_flat_codes_have_hoyer_zero():
    np.testing.assert_allclose(hoyer(np.full((3, 16), 2.0)), 0.0, atol=1e-12)
    np.testing.assert_allclose(hoyer(np.array([1.0, -1.0, 1.0, -1.0])), 0.0, atol=1e-12)
    assert average_hoyer(np.full((5, 16), -3.0), normalise=False).value == pytest.approx(0.0, abs=1e-12)


def test_hand_computed_hoyer():
    # z = (3, 4, 0, 0): ‖z‖₁/‖z‖₂ = 7/5, D = 4 → (2 − 1.4) / (2 − 1) = 0.6
    assert hoyer(np.array([3.0, 4.0, 0.0, 0.0]))[0] == pytest.approx(0.6)


@pytest.mark.parametrize("d, expected", [(32, 0.238), (768, 0.210)])
def test_average_hoyer_of_iid_gaussian_codes(d, expected):
    z = np.random.default_rng(0).standard_normal((10_000, d))
    ah = average_hoyer(z)
    assert ah.value == pytest.approx(expected, abs=0.003)
    if d >= 256:  # 0.202·√D/(√D−1) replaces E[‖z‖₁/‖z‖₂] by E‖z‖₁/√E‖z‖₂²: exact only for large D
        assert ah.value == pytest.approx(0.202 * np.sqrt(d) / (np.sqrt(d) - 1), abs=0.002)
    assert (ah.dropped_dims, ah.zero_codes, ah.n_used) == (0, 0, 10_000)


@pytest.mark.parametrize("d, expected", [(32, 0.66), (768, 0.60)])
def test_average_hoyer_of_spike_and_slab_prior(d, expected):
    z = spike_and_slab(np.random.default_rng(1), 10_000, d)
    assert average_hoyer(z).value == pytest.approx(expected, abs=0.01)


def test_normalisation_undoes_collapsed_dimensions():
    """A dense code with most dimensions shrunk looks sparse raw, but not once std-normalised."""
    z = np.random.default_rng(2).standard_normal((2000, 32))
    z[:, 4:] *= 1e-3
    assert average_hoyer(z, normalise=False).value > 0.6
    assert average_hoyer(z, normalise=True).value == pytest.approx(average_hoyer(z / z.std(0)).value)
    assert average_hoyer(z, normalise=True).value < 0.3


def test_normalisation_scales_without_centring():
    """Codes far from 0 are flat whatever their spread: centring would wrongly make them look Gaussian."""
    z = 10.0 + np.random.default_rng(6).standard_normal((2000, 32))
    assert average_hoyer(z).value < 0.01
    assert average_hoyer(z - z.mean(0)).value == pytest.approx(0.238, abs=0.01)


def test_zero_variance_column_is_dropped_and_counted_not_nan():
    z = np.random.default_rng(3).standard_normal((500, 8))
    z[:, 2] = 0.1  # constant: float std is a rounding residue, not 0
    z[:, 5] = 0.0
    ah = average_hoyer(z)
    assert np.isfinite(ah.value)
    assert ah.dropped_dims == 2
    assert ah.value == pytest.approx(average_hoyer(np.delete(z, [2, 5], axis=1)).value)
    assert constant_dims(z).tolist() == [False, False, True, False, False, True, False, False]
    assert average_hoyer(z, normalise=False).dropped_dims == 0  # nothing to divide by: nothing dropped


def test_all_zero_codes_are_skipped_and_counted():
    z = np.random.default_rng(4).standard_normal((100, 6))
    z[[3, 50, 99]] = 0.0
    ah = average_hoyer(z)
    assert ah.zero_codes == 3 and ah.n_used == 97
    assert ah.value == pytest.approx(average_hoyer(np.delete(z, [3, 50, 99], axis=0)).value, rel=0.2)
    assert hoyer(np.zeros(6))[0] == 0.0  # defined, finite, conservative


def test_fully_degenerate_codes_give_zero_not_nan():
    for z in (np.zeros((10, 4)), np.ones((10, 4)), np.c_[np.arange(10.0), np.ones(10)]):
        ah = average_hoyer(z)
        assert ah.value == 0.0 and ah.n_used == 0 and np.isfinite(ah.value)


def test_non_finite_codes_are_rejected():
    z = np.ones((4, 3))
    z[1, 1] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        average_hoyer(z)


def test_activity_summaries_and_exact_l0():
    z = np.array([[0.0, 0.005, 0.5, -2.0], [0.0, 0.0, 0.0, 0.02]])
    raw, _ = read_activity(z, exact_zeros=False)
    assert active_fraction(raw) == pytest.approx(2 / 8)  # |z| > 0.15
    nonzero, rule = read_activity(z, exact_zeros=True)
    assert active_fraction(nonzero) == pytest.approx(4 / 8) and rule.startswith("z ≠ 0")
    assert active_dims(nonzero) == pytest.approx(2.0)
    assert dead_fraction(nonzero) == pytest.approx(1 / 4)  # dimension 0 never fires
    assert active_fraction(np.array([[0.5, 1.0]])) == pytest.approx(0.75)  # probabilities are averaged
    # a probability reading below 0.5 everywhere: 2 of 4 dims are each code's round(Σ a) = 1 most probable entry,
    # so 2 are dead, not 4 (protocol 7; a 0.5 threshold called every dim dead)
    assert dead_fraction(np.array([[0.4, 0.3, 0.2, 0.1], [0.1, 0.45, 0.3, 0.2]])) == pytest.approx(2 / 4)
    l0 = exact_l0(z)
    assert l0.l0 == pytest.approx((3 + 1) / 2)
    assert l0.zero_fraction == pytest.approx(4 / 8)


def test_hoyer_ratio_by_hand():
    """Codes that are one-hot per sentence but whose mean pattern is flat: ratio = 1 / Hoyer(flat-ish)."""
    m = np.tile(np.eye(4), (25, 1))  # each dimension active in a quarter of the sentences
    hr = hoyer_ratio(m)
    assert hr.numerator == pytest.approx(1.0)  # one-hot rows stay one-hot after scaling
    assert hr.kept_dims == 4  # all rates tie: the harness keeps every dimension
    assert not hr.defined and hr.ratio == 0.0  # mean code is flat → Hoyer 0 → no ratio, not inf


def test_hoyer_ratio_is_adaptive_sparsity():
    rng = np.random.default_rng(5)
    sparse = spike_and_slab(rng, 5000, 32)
    hr = hoyer_ratio(sparse)
    assert hr.defined and np.isfinite(hr.ratio)
    assert hr.numerator == pytest.approx(average_hoyer(sparse).value)
    assert hr.ratio == pytest.approx(hr.numerator / hr.denominator)
    assert hr.kept_dims < 32  # the ⌈5% · D⌉-th rate cuts the least active dimensions
    assert hr.ratio > 1.5  # per-sentence patterns are much sparser than the average pattern
