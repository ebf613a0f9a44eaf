"""The dense VAE's identity and hyperparameters (torch-free)."""
from __future__ import annotations

from dataclasses import dataclass

from methods.declare import BackboneConfig, method, param


@method("vae", model="methods.vae.model:VAE", modes=("mean", "sample"), default_mode="mean",
        stochastic_modes=("sample",), description="dense Gaussian VAE, N(0, I) prior (control)")
@dataclass(frozen=True)
class VAEConfig(BackboneConfig):
    """``beta`` weights the analytic KL(q(z|x) || N(0, I)); 1 is the plain ELBO, 0.01 the control with
    HSVAE's KL weights (ψ = λ = 0.01)."""

    beta: float = param(1.0, ge=0)
