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


@register_method("hsvae", "methods.hsvae:HSVAE", modes=("sample", "mean", "sparse_mean"), default_mode="sample",
                 description="Hierarchical Sparse VAE (Prokhorov et al. 2021): Beta prior on spike probabilities")
@dataclass(frozen=True)
class HSVAEConfig(BackboneConfig):
    """Beta(α, β) prior on each dimension's spike probability γ; α/(α+β) is the prior fraction *off*.

    ``psi`` weights KL_z, ``lam`` the Beta KL, ``temperature`` is the Binary Concrete τ (README example
    of the reference: α=4, β=1, ψ=λ=0.01, τ=0.5).
    """

    alpha: float = 4.0
    beta: float = 1.0
    psi: float = 0.01
    lam: float = 0.01
    temperature: float = 0.5


@register_method("mat", "methods.mat:MATVAE", modes=("mean", "sample"), default_mode="mean",
                 description="MAT-VAE (Mathieu et al. 2019): Gaussian posterior, spike-and-slab prior, KL + MMD")
@dataclass(frozen=True)
class MATConfig(BackboneConfig):
    """``beta`` weights the Monte-Carlo KL to the fixed spike-and-slab prior, ``alpha`` the IMQ MMD;
    ``gamma`` is the prior's spike weight (dimension *off*)."""

    alpha: float = 4.0
    beta: float = 1.0
    gamma: float = 0.8


@register_method("ton", "methods.ton:VSC", modes=("mean", "sample"), default_mode="mean",
                 description="Variational Sparse Coding (Tonolini et al. 2020): spike-and-slab, pseudo-input prior")
@dataclass(frozen=True)
class TONConfig(BackboneConfig):
    """``alpha`` is the target fraction of *active* dimensions; the slab warm-up ramps λ from 0 at
    ``warmup_start`` to 1 at ``warmup_end``, as fractions of the run's optimiser steps (the paper:
    15k steps at λ = 0, then a 5k ramp, in a 70k-step run ≈ 0.21 → 0.29); ``c`` is the sigmoid
    relaxation constant of the step function; ``nu`` sharpens the pseudo-inputs' activity."""

    alpha: float = 0.01
    n_pseudo: int = 20
    pseudo_length: int = 10
    nu: float = 10.0
    c: float = 100.0
    warmup_start: float = 0.21
    warmup_end: float = 0.29


@register_method("sparsemax", "methods.sparsemax:SparsemaxAE", modes=("code",), default_mode="code",
                 description="Sparsemax Seq2Seq (Trifonov et al. 2018): code = κ·sparsemax(Wh+b), exact zeros")
@dataclass(frozen=True)
class SparsemaxConfig(BackboneConfig):
    """``kappa`` scales the simplex code (0 means √latent_dim); ``learn_kappa`` makes it a parameter."""

    kappa: float = 0.0
    learn_kappa: bool = False


@register_method("ae", "methods.ae:Autoencoder", modes=("code",), default_mode="code",
                 description="deterministic GRU autoencoder, linear code (control)")
@dataclass(frozen=True)
class AEConfig(BackboneConfig):
    """No hyperparameters beyond the backbone's sizes: reconstruction only."""
