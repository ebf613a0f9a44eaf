"""Dense Gaussian VAE on the shared backbone: the control every sparsifier is compared against.

q(z|x) = N(μ(x), diag s(x)²) with s = softplus(·) + 1e-5 (the floor keeps log q finite);
p(z) = N(0, I); loss = recon + β·KL, KL analytic (per dimension, so collapsed dimensions show).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from methods.backbones import backbone_for, dense
from methods.base import Batch, LossOutput, SparseEncoder
from methods.vae.config import VAEConfig


def gaussian_kl_standard(mu: Tensor, std: Tensor) -> Tensor:
    """KL(N(μ, s²) || N(0, 1)) per element."""
    return 0.5 * (mu.pow(2) + std.pow(2) - 1.0) - torch.log(std)


class VAE(SparseEncoder):
    Config = VAEConfig

    def __init__(self, config: VAEConfig, vocab_size: int, eos_id: int, *, input_dim: int | None = None) -> None:
        super().__init__(config, vocab_size, eos_id, input_dim=input_dim)
        c = config
        self.backbone = backbone_for(c, vocab_size, eos_id, input_dim)
        self.mu = dense(self.backbone.hidden_size, c.latent_dim)
        self.std = dense(self.backbone.hidden_size, c.latent_dim)

    def posterior(self, batch: Batch) -> tuple[Tensor, Tensor]:
        h = self.backbone.encode_hidden(batch)
        return self.mu(h), nn.functional.softplus(self.std(h)) + 1e-5

    def loss(self, batch: Batch) -> LossOutput:
        mu, std = self.posterior(batch)
        z = mu + std * torch.randn_like(mu)
        recon = self.backbone.reconstruction(batch, z).mean()
        kl_dims = gaussian_kl_standard(mu, std).mean(0)
        kl = kl_dims.sum()
        return LossOutput(recon + self.config.beta * kl, {"recon": recon, "kl": kl}, kl_per_dim=kl_dims.detach())

    def encode(self, batch: Batch, mode: str | None = None) -> Tensor:
        mode = self.check_mode(mode)
        mu, std = self.posterior(batch)
        return mu if mode == "mean" else mu + std * torch.randn_like(mu)
