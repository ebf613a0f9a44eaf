"""HSVAE (Prokhorov et al., RepL4NLP 2021): sparsity that adapts per sentence.

Each dimension's spike probability γ_d gets its own posterior Beta(a_d(x), b_d(x)) under a shared
Beta(α, β) prior, so the model learns *how sparse* each sentence's code is rather than having it
fixed as in MAT-VAE; that hierarchy is what the paper says stabilises sparse VAEs on text.

Design choices, with their reasons:
- γ is the probability of the *spike* (dimension off), as in the paper; the spike is N(0, 0.05²), not
  a Dirac, so ``sample`` codes never contain exact zeros (``exact_zeros`` is False: use Hoyer).
- Safeguards (recorded in the config, switchable to the reference's values): Beta parameters are
  softplus outputs passed through a gradient-preserving clip to [0.5, 100] (``beta_clip``; the
  reference README's fix for NaNs, which also avoids PyTorch's Beta sampling problems at tiny and
  huge concentrations; off: softplus + 1e-5 as the reference code); the slab std is softplus +
  ``std_floor`` (1e-5; the reference code has none, so log N can reach −inf).
- The spike indicator is a hard Binary Concrete with straight-through gradients (τ from the config);
  ε = 1e-5 in every log(γ), log(1−γ) and logit, as the reference.
- KL_γ is analytic; KL_z is the reference's one-sample Monte-Carlo estimate with the *same* γ in
  posterior and prior.  It can be negative on a batch: that is expected.
- Encode modes: ``sample`` (one joint draw, the paper's sparse code), ``mean`` (μ, the dense control
  the reference prints), ``sparse_mean`` = E_q(γ)[1−γ]·μ = b/(a+b)·μ (the harness's deterministic
  sparse code: the expectation makes it repeatable) and ``sparse_mean_draw`` = (1−γ̂)·μ with one
  γ̂ ~ Beta(a, b), what the reference prints as "mean of spike-and-slab".
- Activity, for the class analysis, is read from the latent, not thresholded from the code (the
  spike is N(0, 0.05²) noise, which a threshold on normalised codes counts as active): ``sample``
  from the slab indicator 1 − s of the same draw, ``sparse_mean`` from E[1−γ] = b/(a+b),
  ``sparse_mean_draw`` from 1 − γ̂ of the same draw; ``mean`` is dense and read by the harness rule.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from methods.backbones import backbone_for, dense
from methods.base import Batch, LossOutput, SparseEncoder
from methods.distributions import (SPIKE_STD, beta_kl, gradient_preserving_clamp, hard_binary_concrete,
                                   spike_slab_log_prob)
from methods.hsvae.config import HSVAEConfig

EPS = 1e-5
BETA_PARAM_RANGE = (0.5, 100.0)


class HSVAE(SparseEncoder):
    Config = HSVAEConfig
    activity_rules = {"sample": "slab indicator 1 − s of the same draw",
                      "sparse_mean": "E[1 − γ] = b/(a + b)",
                      "sparse_mean_draw": "1 − γ̂ of the same draw"}

    def __init__(self, config: HSVAEConfig, vocab_size: int, eos_id: int, *, input_dim: int | None = None) -> None:
        super().__init__(config, vocab_size, eos_id, input_dim=input_dim)
        c = config
        self.backbone = backbone_for(c, vocab_size, eos_id, input_dim)
        h = self.backbone.hidden_size
        self.head_a = dense(h, c.latent_dim)
        self.head_b = dense(h, c.latent_dim)
        self.head_mu = dense(h, c.latent_dim)
        self.head_std = dense(h, c.latent_dim)

    def _beta_param(self, x: Tensor) -> Tensor:
        x = nn.functional.softplus(x)
        return gradient_preserving_clamp(x, *BETA_PARAM_RANGE) if self.config.beta_clip else x + EPS

    def posterior(self, batch: Batch) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Beta parameters (a, b) of q(γ|x) and slab mean and std of q(z|x, γ)."""
        h = self.backbone.encode_hidden(batch)
        raw = self.head_std(h)
        std = (torch.exp(0.5 * raw) if self.config.std_head == "exp" else nn.functional.softplus(raw)) + self.config.std_floor
        return self._beta_param(self.head_a(h)), self._beta_param(self.head_b(h)), self.head_mu(h), std

    def sample(self, a: Tensor, b: Tensor, mu: Tensor, std: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(γ, spike indicator s, z): γ ~ Beta(a, b) reparameterised, s by hard Concrete, z from the chosen part."""
        gamma = torch.distributions.Beta(a, b).rsample()
        spike = hard_binary_concrete(gamma, self.config.temperature, eps=EPS)
        z = spike * SPIKE_STD * torch.randn_like(mu) + (1 - spike) * (mu + std * torch.randn_like(mu))
        return gamma, spike, z

    def loss(self, batch: Batch) -> LossOutput:
        c = self.config
        a, b, mu, std = self.posterior(batch)
        gamma, _, z = self.sample(a, b, mu, std)
        recon = self.backbone.reconstruction(batch, z).mean()
        log_q = spike_slab_log_prob(z, gamma, mu, std, eps=EPS)
        log_p = spike_slab_log_prob(z, gamma, 0.0, 1.0, eps=EPS)
        kl_z_dims = (log_q - log_p).mean(0)
        kl_z = kl_z_dims.sum()
        kl_gamma = beta_kl(a, b, c.alpha, c.beta).sum(1).mean()
        total = recon + c.psi * kl_z + c.lam * kl_gamma
        return LossOutput(total, {"recon": recon, "kl_z": kl_z, "kl_gamma": kl_gamma}, kl_per_dim=kl_z_dims.detach())

    def encode_with_activity(self, batch: Batch, mode: str | None = None) -> tuple[Tensor, Tensor | None]:
        mode = self.check_mode(mode)
        a, b, mu, std = self.posterior(batch)
        if mode == "mean":
            return mu, None
        if mode == "sparse_mean":
            on = b / (a + b)
            return on * mu, on
        if mode == "sparse_mean_draw":
            on = 1 - torch.distributions.Beta(a, b).sample()
            return on * mu, on
        _, spike, z = self.sample(a, b, mu, std)
        return z, 1 - spike

    def encode(self, batch: Batch, mode: str | None = None) -> Tensor:
        return self.encode_with_activity(batch, mode)[0]
