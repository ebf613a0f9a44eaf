"""The dense VAE's identity and hyperparameters (torch-free)."""
from __future__ import annotations

from dataclasses import dataclass

from methods.declare import BackboneConfig, harness, method, paper, param, point, sweep


@method("vae", model="methods.vae.model:VAE", modes=("mean", "sample"), default_mode="mean",
        stochastic_modes=("sample",), description="dense Gaussian VAE, N(0, I) prior (control)")
@sweep(point("elbo", beta=(1.0, paper("Kingma & Welling 2014: the ELBO, KL unweighted"))),
       point("beta0.1", beta=(0.1, harness("equal-budget extension"))),
       point("beta0.03", beta=(0.03, harness("equal-budget extension"))),
       point("beta0.01", beta=(0.01, harness("the equal-weight control: HSVAE's README KL weights psi = lambda "
                                             "= 0.01 (variant vae-beta0.01)"))),
       point("beta0.001", beta=(0.001, harness("equal-budget extension: toward the autoencoder"))),
       knobs={"beta": "weight of the KL to N(0, I)"})
@dataclass(frozen=True)
class VAEConfig(BackboneConfig):
    """``beta`` weights the analytic KL(q(z|x) || N(0, I)); 1 is the plain ELBO, 0.01 the control with
    HSVAE's KL weights (ψ = λ = 0.01)."""

    beta: float = param(1.0, ge=0)
