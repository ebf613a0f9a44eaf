"""HSVAE (Prokhorov et al., RepL4NLP 2021, methods.md §1): sparsity that adapts per sentence.

Each dimension's spike probability γ_d gets its own posterior Beta(a_d(x), b_d(x)) under a shared
Beta(α, β) prior, so the model learns *how sparse* each sentence's code is rather than having it
fixed as in MAT-VAE; that hierarchy is what the paper says stabilises sparse VAEs on text.

Design choices, with their reasons:
- γ is the probability of the *spike* (dimension off), as in the paper; the spike is N(0, 0.05²), not
  a Dirac, so ``sample`` codes never contain exact zeros (``exact_zeros`` is False: use Hoyer).
- Beta parameters are softplus outputs passed through a gradient-preserving clip to [0.5, 100]
  (the reference README's fix for NaNs; it also avoids PyTorch's Beta sampling problems at tiny and
  huge concentrations).  The slab std is softplus + 1e-5 so that log N never reaches −inf.
- The spike indicator is a hard Binary Concrete with straight-through gradients (τ from the config);
  ε = 1e-5 in every log(γ), log(1−γ) and logit, as the reference.
- KL_γ is analytic; KL_z is the reference's one-sample Monte-Carlo estimate with the *same* γ in
  posterior and prior.  It can be negative on a batch: that is expected.
- Encode modes: ``sample`` (one joint draw, the paper's sparse code), ``mean`` (μ, the dense control
  the reference prints) and ``sparse_mean`` = E_q(γ)[(1−γ)]·μ = b/(a+b)·μ.  The reference uses one γ
  draw for the last one; the expectation makes the mode deterministic, hence repeatable.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from methods.backbone import backbone_for, dense
from methods.base import Batch, LossOutput, SparseEncoder
from methods.checks import require_range, require_sizes
from methods.configs import HSVAEConfig
from methods.distributions import (SPIKE_STD, beta_kl, gradient_preserving_clamp, hard_binary_concrete,
                                   spike_slab_log_prob)

EPS = 1e-5
BETA_PARAM_RANGE = (0.5, 100.0)


class HSVAE(SparseEncoder):
    name = "hsvae"
    Config = HSVAEConfig
    modes = ("sample", "mean", "sparse_mean")
    default_mode = "sample"

    def __init__(self, config: HSVAEConfig, vocab_size: int, eos_id: int) -> None:
        super().__init__(config, vocab_size, eos_id)
        require_sizes(self.name, config)
        for name in ("alpha", "beta", "temperature"):
            require_range(self.name, config, name, 0.0, low_open=True)
        for name in ("psi", "lam"):
            require_range(self.name, config, name, 0.0)
        c = config
        self.backbone = backbone_for(c, vocab_size, eos_id)
        self.head_a = dense(c.hidden_dim, c.latent_dim)
        self.head_b = dense(c.hidden_dim, c.latent_dim)
        self.head_mu = dense(c.hidden_dim, c.latent_dim)
        self.head_std = dense(c.hidden_dim, c.latent_dim)

    def posterior(self, batch: Batch) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Beta parameters (a, b) of q(γ|x) and slab mean and std of q(z|x, γ)."""
        h = self.backbone.encode_hidden(batch)
        softplus = nn.functional.softplus
        a = gradient_preserving_clamp(softplus(self.head_a(h)), *BETA_PARAM_RANGE)
        b = gradient_preserving_clamp(softplus(self.head_b(h)), *BETA_PARAM_RANGE)
        return a, b, self.head_mu(h), softplus(self.head_std(h)) + EPS

    def sample(self, a: Tensor, b: Tensor, mu: Tensor, std: Tensor) -> tuple[Tensor, Tensor]:
        """(γ, z): γ ~ Beta(a, b) reparameterised, spike indicator by hard Concrete, z from the chosen part."""
        gamma = torch.distributions.Beta(a, b).rsample()
        spike = hard_binary_concrete(gamma, self.config.temperature, eps=EPS)
        z = spike * SPIKE_STD * torch.randn_like(mu) + (1 - spike) * (mu + std * torch.randn_like(mu))
        return gamma, z

    def loss(self, batch: Batch) -> LossOutput:
        c = self.config
        a, b, mu, std = self.posterior(batch)
        gamma, z = self.sample(a, b, mu, std)
        recon = self.backbone.reconstruction(batch, z).mean()
        log_q = spike_slab_log_prob(z, gamma, mu, std, eps=EPS)
        log_p = spike_slab_log_prob(z, gamma, 0.0, 1.0, eps=EPS)
        kl_z = (log_q - log_p).sum(1).mean()
        kl_gamma = beta_kl(a, b, c.alpha, c.beta).sum(1).mean()
        total = recon + c.psi * kl_z + c.lam * kl_gamma
        return LossOutput(total, {"recon": recon, "kl_z": kl_z, "kl_gamma": kl_gamma})

    def encode(self, batch: Batch, mode: str | None = None) -> Tensor:
        mode = self.check_mode(mode)
        a, b, mu, std = self.posterior(batch)
        if mode == "mean":
            return mu
        if mode == "sparse_mean":
            return b / (a + b) * mu
        return self.sample(a, b, mu, std)[1]
