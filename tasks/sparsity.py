"""Sparsity of codes: Hoyer's measure and the Average Hoyer of HSVAE (methods.md §5.1).

Hoyer(z) = (√D − ‖z‖₁/‖z‖₂) / (√D − 1): 0 for a flat vector, 1 for a one-hot one.  The headline
Average Hoyer first divides every dimension by its population std over the evaluated set (scaling
only, no centring), so that collapsed low-variance dimensions cannot make codes look sparse.
Zero-variance dimensions are dropped and all-zero codes skipped, and both are counted: never a NaN.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def hoyer(z: np.ndarray) -> np.ndarray:
    """Per-row Hoyer of ``z`` (``[N, D]`` or ``[D]``); NaN for an all-zero row (callers decide)."""
    z = np.atleast_2d(np.asarray(z, dtype=np.float64))
    d = z.shape[1]
    if d < 2:
        raise ValueError(f"Hoyer needs at least 2 dimensions, got {d}")
    l1 = np.abs(z).sum(1)
    l2 = np.sqrt((z * z).sum(1))
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = l1 / l2
    return (np.sqrt(d) - ratio) / (np.sqrt(d) - 1)


@dataclass(frozen=True)
class AverageHoyer:
    value: float
    dropped_dims: int  # zero-variance dimensions removed before normalising
    zero_codes: int  # all-zero codes skipped (Hoyer undefined)
    n_codes: int
    n_dims: int


def average_hoyer(codes: np.ndarray, normalise: bool = True) -> AverageHoyer:
    """Mean Hoyer over rows; with ``normalise`` each dimension is first divided by its population std."""
    z = np.asarray(codes, dtype=np.float64)
    if z.ndim != 2 or z.shape[0] == 0:
        raise ValueError(f"codes must be a non-empty [N, D] array, got shape {z.shape}")
    std = z.std(axis=0)
    keep = std > 0
    dropped = int((~keep).sum())
    if normalise:
        z = z[:, keep] / std[keep]
    if z.shape[1] < 2:
        return AverageHoyer(float("nan"), dropped, len(z), len(codes), int(codes.shape[1]))
    nonzero = np.abs(z).sum(1) > 0
    h = hoyer(z[nonzero])
    value = float(h.mean()) if len(h) else float("nan")
    return AverageHoyer(value, dropped, int((~nonzero).sum()), len(z), int(codes.shape[1]))
