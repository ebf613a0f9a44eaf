"""An L1 sparse autoencoder (Bricken et al. 2023; Cunningham et al. 2023) on sparsebench's backbones.

Why a plugin: it shows everything a third party needs to add a method to sparsebench without
editing it: a ``Config`` dataclass with declared ranges, a ``SparseEncoder`` subclass, and one entry
point in ``pyproject.toml``.  Why this method: it is the simplest sparse autoencoder there is,
code = ReLU(W h + b) with a penalty λ·‖code‖₁, and its exact zeros make L0 meaningful.  (sparsebench
has TopK and BatchTopK built in; this one is deliberately different.)
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from methods.backbones import backbone_for, dense
from methods.base import BackboneConfig, Batch, LossOutput, SparseEncoder
from sparsebench.params import param


@dataclass(frozen=True)
class L1Config(BackboneConfig):
    """``l1``: weight λ of the L1 penalty on the code (per sentence, summed over dimensions)."""

    l1: float = param(0.1, ge=0)


class L1SparseAutoencoder(SparseEncoder):
    name = "l1sae"
    description = "L1 sparse autoencoder (plugin example): ReLU code, λ·‖z‖₁ penalty"
    Config = L1Config
    modes = ("code",)
    default_mode = "code"
    exact_zeros = True
    backbones = ("text", "embedding")  # backbone_for builds either

    def __init__(self, config: L1Config, vocab_size: int, eos_id: int, *, input_dim: int | None = None) -> None:
        super().__init__(config, vocab_size, eos_id, input_dim=input_dim)
        self.backbone = backbone_for(config, vocab_size, eos_id, input_dim)
        self.head = dense(self.backbone.hidden_size, config.latent_dim)

    def code(self, batch: Batch) -> Tensor:
        """``[B, latent_dim]``: ReLU of a linear read-out of the backbone's state ``[B, hidden_size]``."""
        return torch.relu(self.head(self.backbone.encode_hidden(batch)))

    def loss(self, batch: Batch) -> LossOutput:
        z = self.code(batch)
        recon = self.backbone.reconstruction(batch, z).mean()  # [B] per-sentence NLL → scalar mean
        l1 = z.abs().sum(1).mean()
        return LossOutput(recon + self.config.l1 * l1, {"recon": recon, "l1": l1})

    def encode(self, batch: Batch, mode: str | None = None) -> Tensor:
        self.check_mode(mode)
        return self.code(batch)
