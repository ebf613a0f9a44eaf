"""Which entries of a code are active: the reading behind the active fraction, dead latents and class KL.

A threshold on std-normalised codes cannot see HSVAE's sparsity: its spike is N(0, 0.05²) noise, and
after normalisation most "off" entries exceed any small threshold (in a simulation with a true active
fraction of 0.19, |z̃| > 1e-2 read 0.87 as active and lost the class structure).  So activity is read,
in order of preference:

1. from the latent model itself, when it has an on/off variable (HSVAE's slab indicator or E[1 − γ],
   TON's gate or γ): the method returns it with the codes, from the same draw;
2. ``z ≠ 0`` for methods with exact zeros by construction (sparsemax, TopK, BatchTopK);
3. otherwise |z_d| > ``threshold`` on the *raw* code, 0.15 by default: three times the spike std
   (0.05) of HSVAE's and MAT-VAE's priors, so that spike noise reads as off and the slab as on.

The rule that produced each number is stored with it.  (The Hoyer ratio keeps the reference's own
1e-2 mask on its normalised mean codes: that is part of its definition.)
"""
from __future__ import annotations

from typing import Any

import numpy as np

#: Default raw-code threshold: 3 × the spike std (0.05) of HSVAE's and MAT-VAE's spike-and-slab priors.
RAW_THRESHOLD = 0.15


def read_activity(codes: np.ndarray, *, exact_zeros: bool, threshold: float = RAW_THRESHOLD) -> tuple[np.ndarray, str]:
    """(activity in {0, 1} [N, D], the rule's description) for codes without a latent reading."""
    z = np.asarray(codes)
    if exact_zeros:
        return (z != 0).astype(np.float32), "z ≠ 0 (exact zeros)"
    return (np.abs(z) > threshold).astype(np.float32), f"|z| > {threshold:g} on the raw code"


def kept(activity: Any) -> Any:
    """Which entries of a code its activity reading keeps, as a boolean array (a sparse matrix for sparse activity).

    A binary reading (|z| > 0.15, z ≠ 0, a sampled gate) keeps its active entries.  A fractional one (HSVAE's
    E[1 − γ], TON's γ: a probability per entry, for a mode that draws no gate) keeps, per code, its
    round(Σ_d a_d) most probable entries: as many as ``active_dims`` counts for that code (scoring protocol 7).
    A threshold of 0.5 would not: at HSVAE's sparse points every E[1 − γ] lies below it, so "4.3 active dims"
    kept none (the embedding track, 6 December 2026).  Ties keep the lower dimension.
    """
    import scipy.sparse as sp  # here, not at the top: a config resolves without loading scipy

    if sp.issparse(activity):
        activity = sp.csr_matrix(activity)
        if np.all((activity.data == 0) | (activity.data == 1)):  # binary (TF-IDF: where the word occurs)
            return activity > 0.5
        activity = activity.toarray()
    a = np.asarray(activity, dtype=np.float64)
    if a.ndim != 2 or np.all((a == 0) | (a == 1)):
        return a > 0.5
    k = np.floor(a.sum(axis=1) + 0.5).astype(np.int64)
    order = np.argsort(-a, axis=1, kind="stable")
    keep = np.zeros(a.shape, dtype=bool)
    np.put_along_axis(keep, order, np.arange(a.shape[1])[None, :] < k[:, None], axis=1)
    return keep
