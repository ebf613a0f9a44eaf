"""TON / Variational Sparse Coding (Tonolini et al., UAI 2019; official code ftonolini45/Variational_Sparse_Coding).

A spike-and-slab posterior whose prior is *learned*: a VampPrior-style mixture of the recognition
model applied to learnable pseudo-inputs, with a selection network choosing which pseudo-inputs a
sentence is compared with, and a J·KL(ū || α) term holding the activity near the target α.
Here γ is the probability that a dimension is *active* (the opposite of HSVAE and MAT-VAE).

Design choices, with their reasons:
- **Pseudo-inputs** live where the backbone's inputs live: on the text backbone ``n_pseudo``
  learnable sequences of word embeddings of fixed length ``pseudo_length`` (initialised like the
  word embedding, U(±0.05)) passed through the *same* GRU encoder and heads as real sentences; on
  the embedding backbone, learnable points of the embedding space.  The prior is built by the
  recognition model exactly as in the paper, rather than injected after the encoder.
- **Recognition heads** are linear on the backbone's state, which plays the role of the paper's
  hidden ReLU layer: μ, log σ², and log γ = −ReLU(−v) so that γ ∈ (0, 1].  Pseudo-input activities
  are sharpened, γ_u ← sigmoid(ν(γ_u − 0.5)), ν = ``nu``.
- **Selection network**: sigmoid(W h + b) on the backbone's state.  The official code L2-normalises
  it but then divides every weighted sum by the mean weight, so the weights act as w/Σw: they are
  normalised to unit sum here, which is the same computation.
- **KL** (as the official code): per sentence, Σ_j Σ_k w_k·KL_SS(q(z_j|x) || q(z_j|u_k)) with the
  analytic spike-and-slab KL of the supplement, on the *unscaled* slab parameters (the warm-up λ
  enters only the sample); plus J·KL_Bern(ū_x || α) with ū_x = mean_j Σ_k w_k(x)·γ_{u_k, j} computed
  *per sentence* over the pseudo-input mixture, then averaged over the batch.  ``kl_weight``
  multiplies the first term only (1: the unweighted sum of the official code and the supplement); the
  reported ``kl_z`` term is the unweighted KL.  ε = 1e-6 inside
  every log(γ) and log(1−γ) (γ = 1 exactly is reachable).  Neither term is a batch statistic.
- **Relaxation**: z = sigmoid(c·(η − 1 + γ)) ⊙ (λμ + exp(½λ log σ²)·ε) with a constant c = ``c``
  (100, the official code; the supplement's 50→200 ramp is not in the code).
- **Schedule** (through ``plan_training`` and ``lr_scale``): λ = 0 before ``warmup_start``, then
  linear to 1 at ``warmup_end``; the learning rate drops ×``lr_drop`` from ``lr_drop_at``; all
  fractions of the run's optimiser steps (the paper: 15k steps at λ = 0, a 5k ramp, then 50k at a
  tenth of the rate, in a 70k-step run: 0.21 → 0.29, drop at 0.29).  The official code switches to
  a second Adam optimiser at the lower rate (fresh moment estimates); the harness scales the rate of
  the one Adam.  The step count and run length are buffers saved in the state dict, so a reloaded
  model encodes as the trained one; a model never told a run length has no schedule (λ = 1).
  Encoding uses the current λ, i.e. the slab the decoder was trained with.
- Modes: ``mean`` = E[z] = γ·λμ and ``sample`` (one relaxed draw, what the official ``encode``
  returns).  Neither has exact zeros; activity is read from the latent: ``mean`` from γ, ``sample``
  from the relaxed gate of the same draw.
"""
from __future__ import annotations

import torch
from torch import Tensor

from methods.backbones import backbone_for, dense
from methods.base import Batch, LossOutput, SparseEncoder
from methods.distributions import bernoulli_kl, spike_slab_kl
from methods.ton.config import TONConfig

EPS = 1e-6
STD_FLOOR = 1e-6


class TON(SparseEncoder):
    Config = TONConfig
    activity_rules = {"mean": "γ, the posterior probability of the slab", "sample": "relaxed gate of the same draw"}

    def __init__(self, config: TONConfig, vocab_size: int, eos_id: int, *, input_dim: int | None = None) -> None:
        super().__init__(config, vocab_size, eos_id, input_dim=input_dim)
        c = config
        self.backbone = backbone_for(c, vocab_size, eos_id, input_dim)
        h = self.backbone.hidden_size
        self.head_mu = dense(h, c.latent_dim)
        self.head_logvar = dense(h, c.latent_dim)
        self.head_active = dense(h, c.latent_dim)
        self.selection = dense(h, c.n_pseudo)
        self.pseudo_inputs = self.backbone.pseudo_inputs(c.n_pseudo, c.pseudo_length)
        self.register_buffer("step", torch.zeros((), dtype=torch.long))
        self.register_buffer("total_steps", torch.zeros((), dtype=torch.long))

    def plan_training(self, total_steps: int) -> None:
        self.total_steps.fill_(int(total_steps))

    def _progress(self, step: int) -> float | None:
        total = int(self.total_steps)
        return None if total <= 0 else step / total

    def warmup(self) -> float:
        """λ at the current step: 0 before ``warmup_start``, 1 from ``warmup_end``, linear between."""
        progress, c = self._progress(int(self.step)), self.config
        if progress is None or progress >= c.warmup_end:
            return 1.0  # no run length announced: no schedule
        if progress < c.warmup_start:
            return 0.0
        return (progress - c.warmup_start) / (c.warmup_end - c.warmup_start)

    def lr_scale(self, step: int) -> float:
        progress = self._progress(step)
        return self.config.lr_drop if progress is not None and progress >= self.config.lr_drop_at else 1.0

    def recognise(self, h: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Unscaled slab mean, log-variance and activity γ for backbone states ``h``."""
        return self.head_mu(h), self.head_logvar(h), torch.exp(-torch.relu(-self.head_active(h)))

    def pseudo_prior(self) -> tuple[Tensor, Tensor, Tensor]:
        """Recognition model applied to the pseudo-inputs, activities sharpened; each ``[n_pseudo, D]``."""
        mu, logvar, active = self.recognise(self.backbone.encode_pseudo(self.pseudo_inputs))
        return mu, logvar, torch.sigmoid(self.config.nu * (active - 0.5))

    def relaxed_sample(self, mu: Tensor, logvar: Tensor, active: Tensor, lam: float) -> tuple[Tensor, Tensor]:
        """(z, gate): the warm-up λ scales the slab of the sample only."""
        gate = torch.sigmoid(self.config.c * (torch.rand_like(active) - 1 + active))
        std = torch.exp(0.5 * lam * logvar) + STD_FLOOR
        return gate * (lam * mu + std * torch.randn_like(mu)), gate

    def loss(self, batch: Batch) -> LossOutput:
        lam = self.warmup()
        if self.training:
            self.step += 1
        h = self.backbone.encode_hidden(batch)
        mu, logvar, active = self.recognise(h)
        weights = torch.sigmoid(self.selection(h))
        weights = weights / weights.sum(1, keepdim=True)
        mu_u, logvar_u, active_u = self.pseudo_prior()
        z, _ = self.relaxed_sample(mu, logvar, active, lam)
        recon = self.backbone.reconstruction(batch, z).mean()
        std, std_u = torch.exp(0.5 * logvar) + STD_FLOOR, torch.exp(0.5 * logvar_u) + STD_FLOOR
        kl = spike_slab_kl(active[:, None], mu[:, None], std[:, None], active_u[None], mu_u[None], std_u[None],
                           eps=EPS)  # [B, n_pseudo, D]
        kl_dims = (weights[:, :, None] * kl).sum(1)  # [B, D]
        kl_z = kl_dims.sum(1).mean()
        mean_active = (weights @ active_u).mean(1)  # ū_x per sentence, over the mixture and the J dimensions
        kl_bern = self.latent_dim * bernoulli_kl(mean_active, self.config.alpha, eps=EPS).mean()
        total = recon + self.config.kl_weight * kl_z + kl_bern
        return LossOutput(total, {"recon": recon, "kl_z": kl_z, "kl_bern": kl_bern},
                          kl_per_dim=kl_dims.mean(0).detach())

    def encode_with_activity(self, batch: Batch, mode: str | None = None) -> tuple[Tensor, Tensor | None]:
        mode = self.check_mode(mode)
        lam = self.warmup()
        mu, logvar, active = self.recognise(self.backbone.encode_hidden(batch))
        if mode == "mean":
            return active * lam * mu, active
        return self.relaxed_sample(mu, logvar, active, lam)

    def encode(self, batch: Batch, mode: str | None = None) -> Tensor:
        return self.encode_with_activity(batch, mode)[0]
