"""MAT-VAE (Mathieu et al., ICML 2019): sparsity imposed on the aggregate posterior.

A plain Gaussian encoder is pulled towards a fixed spike-and-slab prior twice: per sentence by a
β-weighted KL, and for the batch as a whole by an α-weighted MMD between posterior samples and prior
samples.  It is the non-hierarchical baseline HSVAE was built to stabilise.

Design choices, with their reasons:
- Prior Π_d [γ·N(0, 0.05²) + (1−γ)·N(0, 1)] with fixed γ (spike weight, default 0.8) and the slab fixed
  to N(0, 1), as the HSVAE authors' port (Mathieu's learnable slab scale is 1 at initialisation).
- KL by one-sample Monte Carlo with the reparameterised draw (no closed form against a mixture); the
  prior's log γ, log(1−γ) take no ε since γ is a constant, exactly as the reference.
- The MMD uses the per-dimension (additive) inverse-multiquadric kernel summed over six scales, the
  unbiased estimator of Mathieu et al.'s code, and fresh, non-reparameterised prior draws; the
  kernel is computed in blocks of dimensions with a hand-written backward, so that only a few
  B×B×block temporaries are alive at a time (``methods.distributions.imq_kernel``).  The MMD is a
  batch statistic: batches must be random samples of the corpus (the harness's default batching).
- Posterior std is softplus + 1e-5 (a floor keeps log q finite).
- Modes: ``mean`` (μ, what Mathieu's sparsity analysis uses) and ``sample``.  Neither has exact
  zeros, and the model has no latent on/off variable: activity is read by the harness's threshold
  on the raw code (3 × the prior's spike std).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from methods.backbones import backbone_for, dense
from methods.base import Batch, LossOutput, SparseEncoder
from methods.distributions import imq_mmd, normal_log_prob, sample_spike_slab_prior, spike_slab_log_prob
from methods.mat.config import MATConfig


class MAT(SparseEncoder):
    Config = MATConfig

    def __init__(self, config: MATConfig, vocab_size: int, eos_id: int, *, input_dim: int | None = None) -> None:
        super().__init__(config, vocab_size, eos_id, input_dim=input_dim)
        c = config
        self.backbone = backbone_for(c, vocab_size, eos_id, input_dim)
        self.head_mu = dense(self.backbone.hidden_size, c.latent_dim)
        self.head_std = dense(self.backbone.hidden_size, c.latent_dim)

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
        kl_dims = (log_q - log_p).mean(0)
        kl = kl_dims.sum()
        prior = sample_spike_slab_prior(z.shape, c.gamma, dtype=z.dtype, device=z.device)
        mmd = imq_mmd(z, prior)
        return LossOutput(recon + c.beta * kl + c.alpha * mmd, {"recon": recon, "kl_z": kl, "mmd": mmd},
                          kl_per_dim=kl_dims.detach())

    def encode(self, batch: Batch, mode: str | None = None) -> Tensor:
        mode = self.check_mode(mode)
        mu, std = self.posterior(batch)
        return mu if mode == "mean" else mu + std * torch.randn_like(mu)
