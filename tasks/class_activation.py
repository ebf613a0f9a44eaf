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

The KL of *estimated* distributions is biased upward: codes whose activity has nothing to do with
the class still show a KL of about (D − 1)/n per pair, n being a class's active entries, and more
where the activity is binary draws.  :func:`null_class_kl` measures that level on the codes
themselves (the same activity with the labels shuffled, seeded), so a class KL is read as what it
adds above its null (results/reference/README.md, text track, has the measured levels: for sampled codes the null is
most of the KL).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

SMOOTHING = 1e-6
#: Label permutations of :func:`null_class_kl`: the null's own spread is reported beside it.
NULL_PERMUTATIONS = 5


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
    if smoothing <= 0 and silent.any():
        raise ValueError("a class has no active dimension; smoothing=0 leaves its distribution undefined")
    p = _smoothed(counts, smoothing)
    kl = kl_matrix(p)
    js = js_matrix(p)
    return ClassActivation(classes.tolist(), sizes.astype(int).tolist(), profile, p, kl, js, _off_diagonal_mean(kl),
                           _off_diagonal_mean(js), int(silent.sum()))


@dataclass(frozen=True)
class NullKL:
    observed: float  # the class-KL mean with the true labels (``class_activation(...).kl_mean``)
    mean: float  # mean over the permutations of the class-KL mean with shuffled labels
    std: float  # its sample std over the permutations (0.0 with one)
    permutations: int


def _smoothed(counts: np.ndarray, smoothing: float) -> np.ndarray:
    """P_c from per-class activity sums ``[C, D]``: (P_c + ε) / (1 + Dε), uniform for a silent class."""
    totals = counts.sum(1)
    silent = totals == 0
    p = np.where(silent[:, None], 0.0, counts / np.where(silent, 1.0, totals)[:, None]) + smoothing
    return p / p.sum(1, keepdims=True)


def _kl_mean_of_counts(counts: np.ndarray, smoothing: float) -> float:
    """``kl_mean`` of :func:`class_activation` from per-class activity sums (no JS, no profile)."""
    return _off_diagonal_mean(kl_matrix(_smoothed(counts, smoothing)))


def null_class_kl(activity: np.ndarray | sp.spmatrix, labels: np.ndarray, seed: int,
                  permutations: int = NULL_PERMUTATIONS, smoothing: float = SMOOTHING) -> NullKL:
    """The class-KL mean of ``activity`` when the class says nothing about it: the labels shuffled
    (``permutations`` seeded shuffles, class sizes kept), the level a KL must exceed to mean anything;
    with the observed KL, from the same per-class sums.

    ``activity`` is ``[N, D]`` in [0, 1], dense or scipy-sparse (TF-IDF references).
    """
    if permutations < 1:
        raise ValueError(f"permutations must be ≥ 1, got {permutations}")
    labels = np.asarray(labels)
    n = activity.shape[0]
    if n != len(labels) or n == 0:
        raise ValueError(f"activity [N, D] and labels [N] must match and be non-empty, got {activity.shape} and {labels.shape}")
    _, inverse = np.unique(labels, return_inverse=True)
    c = int(inverse.max()) + 1
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xC1A55]))

    def kl_mean(assignment: np.ndarray) -> float:
        onehot = sp.csr_matrix((np.ones(n), (assignment, np.arange(n))), shape=(c, n))
        counts = onehot @ activity
        counts = counts.toarray() if sp.issparse(counts) else np.asarray(counts)
        return _kl_mean_of_counts(counts.astype(np.float64), smoothing)

    arr = np.asarray([kl_mean(rng.permutation(inverse)) for _ in range(permutations)])
    return NullKL(kl_mean(inverse), float(arr.mean()), float(arr.std(ddof=1)) if len(arr) > 1 else 0.0, permutations)
