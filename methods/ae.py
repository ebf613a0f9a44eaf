"""Deterministic GRU autoencoder: the control with neither sparsity nor a prior.

It shares the backbone with every other method and reads a linear code from the encoder state, so
the gap between it and the sparsifiers is the price (or gain) of sparsity alone; the gap to the
dense VAE is the price of the KL term.  Reconstruction only; one mode, ``code``.  Subclasses change
only ``code`` (the Sparsemax autoencoder).
"""
from __future__ import annotations

from typing import Any

from torch import Tensor

from methods.backbone import backbone_for, dense
from methods.base import Batch, LossOutput, SparseEncoder
from methods.checks import require_sizes
from methods.configs import AEConfig


class Autoencoder(SparseEncoder):
    name = "ae"
    Config = AEConfig
    modes = ("code",)
    default_mode = "code"

    def __init__(self, config: Any, vocab_size: int, eos_id: int) -> None:
        super().__init__(config, vocab_size, eos_id)
        require_sizes(self.name, config)
        self.backbone = backbone_for(config, vocab_size, eos_id)
        self.head = dense(config.hidden_dim, config.latent_dim)

    def code(self, batch: Batch) -> Tensor:
        return self.head(self.backbone.encode_hidden(batch))

    def loss(self, batch: Batch) -> LossOutput:
        recon = self.backbone.reconstruction(batch, self.code(batch)).mean()
        return LossOutput(recon, {"recon": recon})

    def encode(self, batch: Batch, mode: str | None = None) -> Tensor:
        self.check_mode(mode)
        return self.code(batch)
