"""TON / Variational Sparse Coding (Tonolini et al., UAI 2019, methods.md §3) for sentences.

A spike-and-slab posterior whose prior is *learned*: a VampPrior-style mixture of the recognition
model applied to learnable pseudo-inputs, with a selection network choosing which pseudo-inputs a
sentence is compared with, and a J·KL(ū || α) term holding the average activity near the target α.
Here γ is the probability that a dimension is *active* (the opposite of HSVAE and MAT-VAE).

Design choices for text, with their reasons:
- **Pseudo-inputs** are ``n_pseudo`` learnable sequences of word embeddings of fixed length
  ``pseudo_length`` (initialised like the word embedding, U(±0.05)), passed through the *same* GRU
  encoder with ``backbone.encode_embedded`` and the same heads as real sentences.  This is option (a)
  of §3.5: the pseudo-inputs live where sentences live (the embedding space), so the prior is built
  by the recognition model exactly as in the paper, rather than injected after the encoder.
- **Recognition heads** are linear on the GRU state, which plays the role of the paper's hidden ReLU
  layer: μ, log σ², and log γ = −ReLU(−v) so that γ ∈ (0, 1].  Pseudo-input activities are
  sharpened, γ_u ← sigmoid(ν(γ_u − 0.5)), ν = ``nu``.
- **Selection network**: sigmoid(W h + b) on the GRU state, normalised to unit sum (the supplement's
  first step).  The official code's L2 normalisation would not give the convex weights the KL bound
  Σ_k w_k·KL(q(z|x) || q(z|u_k)) needs, and the supplement's extra S(60(u − 0.5)) sharpening is left
  out: with few pseudo-inputs it saturates the weights and stops their gradients.
- **KL**: the analytic spike-and-slab KL of the supplement, selection-weighted, plus J·KL_Bern(ū || α)
  with ū the selection-weighted pseudo-input activity averaged over the batch and the J dimensions.
  ε = 1e-6 inside every log(γ) and log(1−γ) (γ = 1 exactly is reachable).
- **Relaxation**: z = sigmoid(c·(η − 1 + γ)) ⊙ (λμ + exp(½λ log σ²)·ε) with a constant c = ``c``
  (100, the official code; the supplement's 50→200 ramp would need the run length, which a method
  does not know).  The slab std has a 1e-6 floor.
- **Warm-up**: λ = 0 before ``warmup_start``, then linear to 1 at ``warmup_end``, both fractions of
  the run's optimiser steps, which the training loop announces through ``plan_training``: the paper's
  15k λ = 0 steps and 5k-step ramp in a 70k-step run (0.21 → 0.29) keep their proportion whether a
  run is 200 steps (smoke) or 6k (paper preset).  The step count and the run length are buffers
  saved in the state dict, so a reloaded model encodes as the trained one; a model that was never
  told a run length (used outside the harness's loop) has no warm-up (λ = 1).  The step is advanced
  by every ``loss()`` call in training mode.  Encoding uses the current λ, i.e. the slab the decoder
  was trained with.
- Modes: ``mean`` = E[z] = γ·λμ and ``sample`` (one relaxed draw).  Neither has exact zeros.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from methods.backbone import backbone_for, dense
from methods.base import Batch, LossOutput, SparseEncoder
from methods.checks import require_range, require_sizes
from methods.configs import TONConfig
from methods.distributions import bernoulli_kl, spike_slab_kl

EPS = 1e-6
STD_FLOOR = 1e-6


class VSC(SparseEncoder):
    name = "ton"
    Config = TONConfig
    modes = ("mean", "sample")
    default_mode = "mean"

    def __init__(self, config: TONConfig, vocab_size: int, eos_id: int) -> None:
        super().__init__(config, vocab_size, eos_id)
        require_sizes(self.name, config)
        require_range(self.name, config, "alpha", 0.0, 1.0, low_open=True, high_open=True)
        require_range(self.name, config, "n_pseudo", 1)
        require_range(self.name, config, "pseudo_length", 1)
        require_range(self.name, config, "nu", 0.0, low_open=True)
        require_range(self.name, config, "c", 0.0, low_open=True)
        require_range(self.name, config, "warmup_start", 0.0, 1.0)
        require_range(self.name, config, "warmup_end", config.warmup_start, 1.0)
        c = config
        self.backbone = backbone_for(c, vocab_size, eos_id)
        self.head_mu = dense(c.hidden_dim, c.latent_dim)
        self.head_logvar = dense(c.hidden_dim, c.latent_dim)
        self.head_active = dense(c.hidden_dim, c.latent_dim)
        self.selection = dense(c.hidden_dim, c.n_pseudo)
        self.pseudo_inputs = nn.Parameter(torch.empty(c.n_pseudo, c.pseudo_length, c.embed_dim).uniform_(-0.05, 0.05))
        self.register_buffer("step", torch.zeros((), dtype=torch.long))
        self.register_buffer("total_steps", torch.zeros((), dtype=torch.long))

    def plan_training(self, total_steps: int) -> None:
        self.total_steps.fill_(int(total_steps))

    def warmup(self) -> float:
        """λ at the current step: 0 before ``warmup_start``, 1 from ``warmup_end``, linear between."""
        total = int(self.total_steps)
        if total <= 0:
            return 1.0  # no run length announced: no schedule
        c, progress = self.config, int(self.step) / total
        if progress >= c.warmup_end:
            return 1.0
        if progress < c.warmup_start:
            return 0.0
        return (progress - c.warmup_start) / (c.warmup_end - c.warmup_start)

    def recognise(self, h: Tensor, lam: float) -> tuple[Tensor, Tensor, Tensor]:
        """Slab mean and std (warm-up applied) and activity γ for encoder states ``h``."""
        mu = lam * self.head_mu(h)
        std = torch.exp(0.5 * lam * self.head_logvar(h)) + STD_FLOOR
        active = torch.exp(-torch.relu(-self.head_active(h)))
        return mu, std, active

    def pseudo_prior(self, lam: float) -> tuple[Tensor, Tensor, Tensor]:
        """Recognition model applied to the pseudo-inputs, activities sharpened; each ``[n_pseudo, D]``."""
        n, length = self.pseudo_inputs.shape[:2]
        lengths = torch.full((n,), length, dtype=torch.long)
        mu, std, active = self.recognise(self.backbone.encode_embedded(self.pseudo_inputs, lengths), lam)
        return mu, std, torch.sigmoid(self.config.nu * (active - 0.5))

    def relaxed_sample(self, mu: Tensor, std: Tensor, active: Tensor) -> Tensor:
        gate = torch.sigmoid(self.config.c * (torch.rand_like(active) - 1 + active))
        return gate * (mu + std * torch.randn_like(mu))

    def loss(self, batch: Batch) -> LossOutput:
        lam = self.warmup()
        if self.training:
            self.step += 1
        h = self.backbone.encode_hidden(batch)
        mu, std, active = self.recognise(h, lam)
        weights = torch.sigmoid(self.selection(h))
        weights = weights / weights.sum(1, keepdim=True)
        mu_u, std_u, active_u = self.pseudo_prior(lam)
        z = self.relaxed_sample(mu, std, active)
        recon = self.backbone.reconstruction(batch, z).mean()
        kl = spike_slab_kl(active[:, None], mu[:, None], std[:, None], active_u[None], mu_u[None], std_u[None],
                           eps=EPS)  # [B, n_pseudo, D]
        kl_z = (weights * kl.sum(2)).sum(1).mean()
        mean_active = (weights @ active_u).mean()
        kl_bern = self.latent_dim * bernoulli_kl(mean_active, self.config.alpha, eps=EPS)
        total = recon + kl_z + kl_bern
        return LossOutput(total, {"recon": recon, "kl_z": kl_z, "kl_bern": kl_bern})

    def encode(self, batch: Batch, mode: str | None = None) -> Tensor:
        mode = self.check_mode(mode)
        mu, std, active = self.recognise(self.backbone.encode_hidden(batch), self.warmup())
        return active * mu if mode == "mean" else self.relaxed_sample(mu, std, active)
