"""Sparsity of codes: Hoyer's measure, the Average Hoyer and Hoyer ratio of HSVAE (its released analysis code).

Hoyer(z) = (√D − ‖z‖₁/‖z‖₂) / (√D − 1): 0 for a flat vector, 1 for a one-hot one.  The headline
Average Hoyer first divides every dimension by its population std over the evaluated set (scaling
only, no centring), so that collapsed low-variance dimensions cannot make codes look sparse.

Degenerate inputs are defined, handled and counted, never turned into a NaN:

* a dimension that is constant over the evaluated set ("zero variance": a dead TopK latent, a
  constant sparsemax coordinate) cannot be std-normalised; it is dropped and counted;
* an all-zero code has no Hoyer (0/0); :func:`hoyer` scores it 0 ("no evidence of sparsity", so
  that collapse can never look like sparsity), and :func:`average_hoyer` leaves it out of the mean
  and counts it;
* fewer than 2 usable dimensions or no usable code: the Average Hoyer is 0 and ``n_used`` says 0.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The Hoyer ratio's activity mask on normalised mean codes, |m| > 1e-2, as HSVAE's analysis script.
HOYER_RATIO_THRESHOLD = 1e-2


def _as_codes(codes: np.ndarray) -> np.ndarray:
    z = np.asarray(codes, dtype=np.float64)
    if z.ndim != 2 or z.shape[0] == 0 or z.shape[1] == 0:
        raise ValueError(f"codes must be a non-empty [N, D] array, got shape {z.shape}")
    if not np.all(np.isfinite(z)):
        raise ValueError(f"codes contain {int((~np.isfinite(z)).sum())} non-finite values (NaN or inf)")
    return z


def hoyer(z: np.ndarray) -> np.ndarray:
    """Per-row Hoyer of ``z`` (``[N, D]`` or ``[D]``), in [0, 1]; an all-zero row scores 0.

    The zero vector has no mass to concentrate, so its Hoyer is undefined (0/0); scoring it as flat
    keeps the result finite and conservative.  :func:`average_hoyer` skips and counts such rows.
    """
    z = np.atleast_2d(np.asarray(z, dtype=np.float64))
    d = z.shape[1]
    if d < 2:
        raise ValueError(f"Hoyer needs at least 2 dimensions, got {d}")
    l1 = np.abs(z).sum(1)
    l2 = np.sqrt((z * z).sum(1))
    zero = l2 == 0
    ratio = np.where(zero, np.sqrt(d), l1 / np.where(zero, 1.0, l2))
    return np.clip((np.sqrt(d) - ratio) / (np.sqrt(d) - 1), 0.0, 1.0)


def constant_dims(codes: np.ndarray) -> np.ndarray:
    """Boolean mask of dimensions whose value never changes over the rows (exactly zero variance).

    Tested as max == min rather than ``std == 0``: the float std of N equal values can be a tiny
    positive rounding error, and dividing by it would blow the column up instead of dropping it.
    """
    z = np.asarray(codes)
    return z.max(axis=0) == z.min(axis=0)


def std_normalise(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Divide each non-constant dimension by its population std (no centring); drop constant ones.

    Returns the normalised codes ``[N, D_kept]`` and the boolean mask of kept dimensions.
    """
    z = np.asarray(codes, dtype=np.float64)
    keep = ~constant_dims(z)
    kept = z[:, keep]
    return kept / kept.std(axis=0), keep


@dataclass(frozen=True)
class AverageHoyer:
    value: float  # mean Hoyer over usable codes; 0.0 when nothing was usable (see n_used)
    dropped_dims: int  # zero-variance dimensions removed before normalising (0 without normalising)
    zero_codes: int  # all-zero codes (after dropping) left out of the mean: their Hoyer is 0/0
    n_codes: int
    n_dims: int
    n_used: int  # codes that entered the mean


def average_hoyer(codes: np.ndarray, normalise: bool = True) -> AverageHoyer:
    """Mean per-code Hoyer; with ``normalise`` each dimension is first divided by its population std.

    Without normalisation nothing is dropped (a constant dimension is harmless there), which is the
    "raw" variant both reference repositories also print.
    """
    z = _as_codes(codes)
    n, d = z.shape
    dropped = 0
    if normalise:
        z, keep = std_normalise(z)
        dropped = int((~keep).sum())
    if z.shape[1] < 2:
        return AverageHoyer(0.0, dropped, n, n, d, 0)
    nonzero = np.any(z != 0, axis=1)
    used = int(nonzero.sum())
    value = float(hoyer(z[nonzero]).mean()) if used else 0.0
    return AverageHoyer(value, dropped, n - used, n, d, used)


@dataclass(frozen=True)
class HoyerRatio:
    ratio: float  # numerator / denominator; 0.0 when the denominator is 0 (``defined`` is False)
    numerator: float  # Average Hoyer of the std-normalised mean codes
    denominator: float  # Hoyer of the dataset-mean code, rarely active dimensions masked
    kept_dims: int  # dimensions whose activity rate is above the percentile threshold
    activity_threshold: float  # that threshold on the per-dimension activity rate
    dropped_dims: int  # zero-variance dimensions removed before normalising
    zero_codes: int
    defined: bool


def hoyer_ratio(mean_codes: np.ndarray, threshold: float = HOYER_RATIO_THRESHOLD, percentile: float = 5.0) -> HoyerRatio:
    """HSVAE's "Hoyer ratio" (``compute_hoyer_ratio``): per-sentence sparsity over that of the mean pattern.

    ``mean_codes`` are, per sentence, the mean of K sampled codes (HSVAE: K = 5 joint (γ, z) draws);
    the caller draws and averages them.  Following the reference script: m is std-normalised per
    dimension, the numerator is AH(m); b̄_d is the rate of |m_d| > ``threshold``; dimensions with
    b̄_d strictly above the value at rank ⌈percentile/100·D⌉ of the sorted b̄ are kept, the others
    are zeroed in the dataset-mean code m̄ (the dimension count stays D, as in the reference); the
    denominator is Hoyer(m̄).  A ratio above 1 means sentences are sparser than their average
    pattern, i.e. the sparsity is adaptive.

    Harness guards (not in the reference): zero-variance dimensions are dropped first; if ties
    leave no dimension above the threshold all are kept; a zero or undefined denominator gives
    ``defined=False`` and ``ratio=0.0`` instead of inf/NaN.
    """
    m, keep = std_normalise(_as_codes(mean_codes))
    dropped = int((~keep).sum())
    d = m.shape[1]
    if d < 2:
        return HoyerRatio(0.0, 0.0, 0.0, d, 0.0, dropped, len(m), False)
    numerator = average_hoyer(m, normalise=False)
    rate = (np.abs(m) > threshold).mean(axis=0)
    rank = min(int(np.ceil(percentile / 100.0 * d)), d - 1)
    cut = float(np.sort(rate)[rank])
    active = rate > cut
    if not active.any():
        active = np.ones(d, dtype=bool)
    mean_code = np.where(active, m.mean(axis=0), 0.0)
    defined = bool(np.any(mean_code != 0))
    denominator = float(hoyer(mean_code)[0]) if defined else 0.0
    defined = defined and denominator > 0
    ratio = numerator.value / denominator if defined else 0.0
    return HoyerRatio(float(ratio), numerator.value, denominator, int(active.sum()), cut, dropped,
                      numerator.zero_codes, defined)


def active_fraction(activity: np.ndarray) -> float:
    """Mean activity over (code, dimension) entries: (1/(N·D)) Σ_x Σ_d a_d(x) (see :mod:`tasks.activity`)."""
    return float(np.asarray(activity, dtype=np.float64).mean())


def active_dims(activity: np.ndarray) -> float:
    """Mean number of active dimensions per code, Σ_d a_d(x) averaged over codes (an L0 by the activity rule)."""
    return float(np.asarray(activity, dtype=np.float64).sum(1).mean())


def dead_fraction(activity: np.ndarray) -> float:
    """Fraction of dimensions that the activity reading keeps in no code of the evaluated set
    (:func:`tasks.activity.kept`: never active; for a probability reading, never among a code's round(Σ a)
    most probable entries, since a threshold of 0.5 called a code of 4 active dims 31/32 dead)."""
    from tasks.activity import kept

    return float(1.0 - np.asarray(kept(activity)).any(axis=0).mean())


@dataclass(frozen=True)
class ExactL0:
    l0: float  # mean number of exactly non-zero entries per code
    zero_fraction: float  # fraction of entries that are exactly 0.0


def exact_l0(codes: np.ndarray) -> ExactL0:
    """Exact L0 of each code (count of entries ≠ 0.0), averaged over codes.

    Only informative for methods with exact zeros by construction (TopK, sparsemax, ReLU); for
    continuous codes it is D almost surely.
    """
    z = np.asarray(codes)
    nonzero = z != 0
    return ExactL0(float(nonzero.sum(axis=1).mean()), float(1.0 - nonzero.mean()))
