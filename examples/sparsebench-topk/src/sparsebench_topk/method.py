"""TopK autoencoder (Makhzani & Frey 2014; Gao et al. 2024) on sparsebench's shared GRU backbone.

Why a plugin: it shows everything a third party needs to add a method to sparsebench without
editing it: a ``Config`` dataclass, a ``SparseEncoder`` subclass, and one entry point in
``pyproject.toml``.  Why TopK: it is today's default sparse autoencoder, with exactly ``k`` (or
fewer) non-zero coordinates per code and no penalty to tune.

code = ReLU(TopK_k(W h + b)), where h is the encoder GRU's state; trained on reconstruction alone.
Gradients reach only the kept coordinates, as in Gao et al. (no AuxK loss here, to stay short).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from methods.backbone import GRUBackbone
from methods.base import Batch, LossOutput, SparseEncoder
from methods.configs import BackboneConfig
from methods.errors import MethodError


@dataclass(frozen=True)
class TopKConfig(BackboneConfig):
    """``k``: how many coordinates of each code may be non-zero (at most ``latent_dim``)."""

    k: int = 4


class TopKAutoencoder(SparseEncoder):
    name = "topk"
    Config = TopKConfig
    modes = ("code",)
    default_mode = "code"
    exact_zeros = True

    def __init__(self, config: TopKConfig, vocab_size: int, eos_id: int) -> None:
        super().__init__(config, vocab_size, eos_id)
        if not 1 <= config.k <= config.latent_dim:
            raise MethodError(f"topk: k={config.k} must be between 1 and latent_dim={config.latent_dim} "
                              f"(e.g. --set topk.k={max(1, config.latent_dim // 8)})")
        self.backbone = GRUBackbone(vocab_size, config.embed_dim, config.hidden_dim, config.latent_dim, eos_id)
        self.head = nn.Linear(config.hidden_dim, config.latent_dim)

    def code(self, batch: Batch) -> Tensor:
        pre = self.head(self.backbone.encode_hidden(batch))
        top = pre.topk(self.config.k, dim=-1)
        return torch.zeros_like(pre).scatter(-1, top.indices, torch.relu(top.values))

    def loss(self, batch: Batch) -> LossOutput:
        recon = self.backbone.reconstruction(batch, self.code(batch)).mean()
        return LossOutput(recon, {"recon": recon})

    def encode(self, batch: Batch, mode: str | None = None) -> Tensor:
        self.check_mode(mode)
        return self.code(batch)
