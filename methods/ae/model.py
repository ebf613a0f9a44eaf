"""Deterministic autoencoder: the control with neither sparsity nor a prior.

It shares the backbone with every other method and reads a linear code from the backbone's state,
so the gap between it and the sparsifiers is the price (or gain) of sparsity alone; the gap to the
dense VAE is the price of the KL term.  Reconstruction only; one mode, ``code``.  Subclasses change
only ``code`` (the sparsemax autoencoder).
"""
from __future__ import annotations

from typing import Any

from torch import Tensor

from methods.ae.config import AEConfig
from methods.backbones import backbone_for, dense
from methods.base import Batch, LossOutput, SparseEncoder


class AE(SparseEncoder):
    Config = AEConfig

    def __init__(self, config: Any, vocab_size: int, eos_id: int, *, input_dim: int | None = None) -> None:
        super().__init__(config, vocab_size, eos_id, input_dim=input_dim)
        self.backbone = backbone_for(config, vocab_size, eos_id, input_dim)
        self.head = dense(self.backbone.hidden_size, config.latent_dim)

    def code(self, batch: Batch) -> Tensor:
        return self.head(self.backbone.encode_hidden(batch))

    def loss(self, batch: Batch) -> LossOutput:
        recon = self.backbone.reconstruction(batch, self.code(batch)).mean()
        return LossOutput(recon, {"recon": recon})

    def encode(self, batch: Batch, mode: str | None = None) -> Tensor:
        self.check_mode(mode)
        return self.code(batch)
