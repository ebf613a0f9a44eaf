"""MAT-VAE's identity and hyperparameters (torch-free)."""
from __future__ import annotations

from dataclasses import dataclass

from methods.declare import BackboneConfig, method, param


@method("mat", model="methods.mat.model:MAT", modes=("mean", "sample"), default_mode="mean",
        stochastic_modes=("sample",),
        description="MAT-VAE (Mathieu et al. 2019): Gaussian posterior, spike-and-slab prior, KL + MMD")
@dataclass(frozen=True)
class MATConfig(BackboneConfig):
    """``beta`` weights the Monte-Carlo KL to the fixed spike-and-slab prior, ``alpha`` the IMQ MMD;
    ``gamma`` is the prior's spike weight (dimension *off*)."""

    alpha: float = param(4.0, ge=0)
    beta: float = param(1.0, ge=0)
    gamma: float = param(0.8, gt=0, lt=1)
