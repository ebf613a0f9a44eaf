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

import numpy as np

#: Default raw-code threshold: 3 × the spike std (0.05) of HSVAE's and MAT-VAE's spike-and-slab priors.
RAW_THRESHOLD = 0.15


def read_activity(codes: np.ndarray, *, exact_zeros: bool, threshold: float = RAW_THRESHOLD) -> tuple[np.ndarray, str]:
    """(activity in {0, 1} [N, D], the rule's description) for codes without a latent reading."""
    z = np.asarray(codes)
    if exact_zeros:
        return (z != 0).astype(np.float32), "z ≠ 0 (exact zeros)"
    return (np.abs(z) > threshold).astype(np.float32), f"|z| > {threshold:g} on the raw code"
