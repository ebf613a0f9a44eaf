"""How class-specific the activation patterns are: KL between per-class active-dimension distributions.

The paper's analysis is not published in detail ("KL between classes" in the HSVAE paper; no code);
this is the harness's faithful-in-spirit definition, over an *activity* matrix a_d(x) ∈ [0, 1] that
says which entries of each code are active (see :mod:`tasks.activity`: the latent model's own on/off
variable where it has one, ``z ≠ 0`` for exact zeros, else a threshold on the raw code):

* P_c(d) = Σ_{x∈c} a_d(x) / Σ_{x∈c} Σ_d' a_d'(x), smoothed as (P_c + ε) / (1 + Dε) with ε = 1e-6
  so that every KL is finite; a class with no active entry at all gets the uniform distribution
  (and is counted);
* KL(P_c ‖ P_c') in nats for every ordered pair, its mean over the C(C−1) ordered pairs c ≠ c',
  and the Jensen–Shannon divergence (symmetric, ≤ ln 2) with its mean over the same pairs.

Larger between-class divergence means the *set* of active dimensions says more about the class.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SMOOTHING = 1e-6


@dataclass(frozen=True)
class ClassActivation:
    classes: list[int]  # label of each row below
    sizes: list[int]  # codes per class
    profile: np.ndarray  # [C, D] mean activity of dimension d over the class's codes (for plots)
    distributions: np.ndarray  # [C, D] smoothed P_c(d), rows sum to 1
    kl: np.ndarray  # [C, C] KL(P_c ‖ P_c') in nats, zero diagonal
    js: np.ndarray  # [C, C] Jensen–Shannon divergence in nats, symmetric, zero diagonal
    kl_mean: float  # mean of kl over ordered pairs c ≠ c' (0.0 with fewer than 2 classes)
    js_mean: float
    silent_classes: int  # classes with no active entry (uniform P_c)


def kl_matrix(p: np.ndarray) -> np.ndarray:
    """KL(P_i ‖ P_j) in nats for all rows of ``p`` (``[C, D]``, strictly positive, rows summing to 1)."""
    p = np.asarray(p, dtype=np.float64)
    if np.any(p <= 0):
        raise ValueError("KL needs strictly positive distributions; smooth them first")
    logp = np.log(p)
    # KL(i‖j) = Σ_d p_i(d) (log p_i(d) − log p_j(d))
    out = (p * logp).sum(1)[:, None] - p @ logp.T
    np.fill_diagonal(out, 0.0)
    return np.maximum(out, 0.0)  # tiny negative rounding for identical rows


def js_matrix(p: np.ndarray) -> np.ndarray:
    """Jensen–Shannon divergence ½KL(P_i‖M) + ½KL(P_j‖M), M = (P_i+P_j)/2, in nats, for all row pairs."""
    p = np.asarray(p, dtype=np.float64)
    c = len(p)
    out = np.zeros((c, c))
    for i in range(c):
        for j in range(i + 1, c):
            m = 0.5 * (p[i] + p[j])
            v = 0.5 * (np.sum(p[i] * np.log(p[i] / m)) + np.sum(p[j] * np.log(p[j] / m)))
            out[i, j] = out[j, i] = max(float(v), 0.0)
    return out


def _off_diagonal_mean(m: np.ndarray) -> float:
    c = len(m)
    return float(m.sum() / (c * (c - 1))) if c > 1 else 0.0


def class_activation(activity: np.ndarray, labels: np.ndarray, smoothing: float = SMOOTHING) -> ClassActivation:
    """Per-class active-dimension distributions of ``activity`` ([N, D] in [0, 1]) and the KL / JS between classes."""
    a = np.asarray(activity, dtype=np.float64)
    labels = np.asarray(labels)
    if a.ndim != 2 or len(a) == 0 or len(a) != len(labels):
        raise ValueError(f"activity [N, D] and labels [N] must match and be non-empty, got {a.shape} and {labels.shape}")
    if np.any(a < 0) or np.any(a > 1) or not np.all(np.isfinite(a)):
        raise ValueError("activity must lie in [0, 1] (an indicator or a probability of being active)")
    d = a.shape[1]
    classes, inverse = np.unique(labels, return_inverse=True)
    counts = np.zeros((len(classes), d))
    np.add.at(counts, inverse, a)
    sizes = np.bincount(inverse, minlength=len(classes)).astype(np.float64)
    profile = counts / sizes[:, None]
    totals = counts.sum(1)
    silent = totals == 0
    p = np.where(silent[:, None], 0.0, counts / np.where(silent, 1.0, totals)[:, None])
    if smoothing <= 0 and silent.any():
        raise ValueError("a class has no active dimension; smoothing=0 leaves its distribution undefined")
    p = p + smoothing
    p /= p.sum(1, keepdims=True)  # (P_c + ε) / (1 + Dε); uniform for a silent class
    kl = kl_matrix(p)
    js = js_matrix(p)
    return ClassActivation(classes.tolist(), sizes.astype(int).tolist(), profile, p, kl, js, _off_diagonal_mean(kl),
                           _off_diagonal_mean(js), int(silent.sum()))
