"""MAT-VAE (Mathieu et al., ICML 2019, methods.md §2): sparsity imposed on the aggregate posterior.

A plain Gaussian encoder is pulled towards a fixed spike-and-slab prior twice: per sentence by a
β-weighted KL, and for the batch as a whole by an α-weighted MMD between posterior samples and prior
samples.  It is the non-hierarchical baseline HSVAE was built to stabilise.

Design choices, with their reasons:
- Prior Π_d [γ·N(0, 0.05²) + (1−γ)·N(0, 1)] with fixed γ (spike weight, default 0.8) and the slab fixed
  to N(0, 1), as the HSVAE authors' port (Mathieu's learnable slab scale is 1 at initialisation).
- KL by one-sample Monte Carlo with the reparameterised draw (no closed form against a mixture); the
  prior's log γ, log(1−γ) take no ε since γ is a constant, exactly as the reference.
- The MMD uses the per-dimension (additive) inverse-multiquadric kernel summed over six scales, the
  unbiased estimator of §2.3, and fresh, non-reparameterised prior draws; the kernel is computed in
  blocks of dimensions with a hand-written backward, so that only a few B×B×block temporaries are
  alive at a time instead of autograd's B×B×D tensors per scale (``methods.distributions.imq_kernel``).
- Posterior std is softplus + 1e-5 (a floor keeps log q finite).
- Modes: ``mean`` (μ, what Mathieu's sparsity analysis uses) and ``sample``.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from methods.backbone import backbone_for, dense
from methods.base import Batch, LossOutput, SparseEncoder
from methods.checks import require_range, require_sizes
from methods.configs import MATConfig
from methods.distributions import imq_mmd, normal_log_prob, sample_spike_slab_prior, spike_slab_log_prob


class MATVAE(SparseEncoder):
    name = "mat"
    Config = MATConfig
    modes = ("mean", "sample")
    default_mode = "mean"

    def __init__(self, config: MATConfig, vocab_size: int, eos_id: int) -> None:
        super().__init__(config, vocab_size, eos_id)
        require_sizes(self.name, config)
        require_range(self.name, config, "alpha", 0.0)
        require_range(self.name, config, "beta", 0.0)
        require_range(self.name, config, "gamma", 0.0, 1.0, low_open=True, high_open=True)
        c = config
        self.backbone = backbone_for(c, vocab_size, eos_id)
        self.head_mu = dense(c.hidden_dim, c.latent_dim)
        self.head_std = dense(c.hidden_dim, c.latent_dim)

    def posterior(self, batch: Batch) -> tuple[Tensor, Tensor]:
        h = self.backbone.encode_hidden(batch)
        return self.head_mu(h), nn.functional.softplus(self.head_std(h)) + 1e-5

    def loss(self, batch: Batch) -> LossOutput:
        c = self.config
        mu, std = self.posterior(batch)
        z = mu + std * torch.randn_like(mu)
        recon = self.backbone.reconstruction(batch, z).mean()
        log_q = normal_log_prob(z, mu, std)
        log_p = spike_slab_log_prob(z, c.gamma, 0.0, 1.0, eps=0.0)
        kl = (log_q - log_p).sum(1).mean()
        prior = sample_spike_slab_prior(z.shape, c.gamma, dtype=z.dtype, device=z.device)
        mmd = imq_mmd(z, prior)
        return LossOutput(recon + c.beta * kl + c.alpha * mmd, {"recon": recon, "kl_z": kl, "mmd": mmd})

    def encode(self, batch: Batch, mode: str | None = None) -> Tensor:
        mode = self.check_mode(mode)
        mu, std = self.posterior(batch)
        return mu if mode == "mean" else mu + std * torch.randn_like(mu)
