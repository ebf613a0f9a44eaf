"""Hyperparameters of the built-in methods, with the papers' defaults; importing this never imports torch.

Each Config is registered with its model class (``module:Class``), so ``bench list methods`` can show
names, modes and defaults without building anything.  Presets change only sizes and epochs.
"""
from __future__ import annotations

from dataclasses import dataclass

from methods.registry import register_method


@dataclass(frozen=True)
class BackboneConfig:
    """The shared GRU autoencoder of HSVAE §1.5: sizes are the paper's (Yahoo/DBpedia runs)."""

    embed_dim: int = 256
    hidden_dim: int = 512
    latent_dim: int = 32


@register_method("vae", "methods.vae:GaussianVAE", modes=("mean", "sample"), default_mode="mean",
                 description="dense Gaussian VAE, N(0, I) prior (control)")
@dataclass(frozen=True)
class VAEConfig(BackboneConfig):
    """``beta`` weights the analytic KL(q(z|x) || N(0, I)); 1 is the plain ELBO."""

    beta: float = 1.0
