"""Dense Gaussian VAE on the shared backbone: the control every sparsifier is compared against.

q(z|x) = N(μ(x), diag s(x)²) with s = softplus(·) + 1e-5 (the floor keeps log q finite, §1.6);
p(z) = N(0, I); loss = recon + β·KL, KL analytic.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from methods.backbone import GRUBackbone
from methods.base import Batch, LossOutput, SparseEncoder
from methods.configs import VAEConfig


def gaussian_kl_standard(mu: Tensor, std: Tensor) -> Tensor:
    """KL(N(μ, s²) || N(0, 1)) per element."""
    return 0.5 * (mu.pow(2) + std.pow(2) - 1.0) - torch.log(std)


class GaussianVAE(SparseEncoder):
    name = "vae"
    Config = VAEConfig
    modes = ("mean", "sample")
    default_mode = "mean"

    def __init__(self, config: VAEConfig, vocab_size: int, eos_id: int) -> None:
        super().__init__(config, vocab_size, eos_id)
        c = config
        self.backbone = GRUBackbone(vocab_size, c.embed_dim, c.hidden_dim, c.latent_dim, eos_id)
        self.mu = nn.Linear(c.hidden_dim, c.latent_dim)
        self.std = nn.Linear(c.hidden_dim, c.latent_dim)
        for layer in (self.mu, self.std):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)

    def posterior(self, batch: Batch) -> tuple[Tensor, Tensor]:
        h = self.backbone.encode_hidden(batch)
        return self.mu(h), nn.functional.softplus(self.std(h)) + 1e-5

    def loss(self, batch: Batch) -> LossOutput:
        mu, std = self.posterior(batch)
        z = mu + std * torch.randn_like(mu)
        recon = self.backbone.reconstruction(batch, z).mean()
        kl = gaussian_kl_standard(mu, std).sum(1).mean()
        return LossOutput(recon + self.config.beta * kl, {"recon": recon, "kl": kl})

    def encode(self, batch: Batch, mode: str | None = None) -> Tensor:
        mode = self.check_mode(mode)
        mu, std = self.posterior(batch)
        return mu if mode == "mean" else mu + std * torch.randn_like(mu)
