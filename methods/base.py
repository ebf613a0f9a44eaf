"""The one interface every method implements, so that differences come from the latent model alone.

A method is an ``nn.Module`` built from ``(config, vocab_size, eos_id)``; the harness trains it by
minimising ``loss(batch).total`` and reads codes with ``encode(batch, mode)``.  Modes are declared,
because "mean" means something different in every paper and each reported number names its mode.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
from torch import Tensor, nn


@dataclass
class Batch:
    """Post-padded token ids (``<pad>`` = 0), each sentence ending with ``<EOS>``; ``lengths`` counts non-pad ids."""

    tokens: Tensor  # [B, T] int64
    lengths: Tensor  # [B] int64, on CPU (packing needs host lengths)
    labels: Tensor | None = None

    @property
    def size(self) -> int:
        return int(self.tokens.shape[0])

    def to(self, device: torch.device | str) -> "Batch":
        labels = None if self.labels is None else self.labels.to(device)
        return Batch(self.tokens.to(device, non_blocking=True), self.lengths, labels)


@dataclass
class LossOutput:
    """``total`` is what the optimiser minimises; ``terms`` names each part (per-sentence means).

    ``terms["recon"]`` is always the summed token cross-entropy per sentence, so that reconstruction
    NLL is comparable across methods.
    """

    total: Tensor
    terms: dict[str, Tensor] = field(default_factory=dict)


class SparseEncoder(nn.Module, ABC):
    name: ClassVar[str] = ""
    Config: ClassVar[type]
    modes: ClassVar[tuple[str, ...]] = ()
    default_mode: ClassVar[str] = ""
    #: True when codes contain exact zeros by construction (exact L0 is then meaningful).
    exact_zeros: ClassVar[bool] = False

    def __init__(self, config: Any, vocab_size: int, eos_id: int) -> None:
        super().__init__()
        self.config = config
        self.vocab_size = vocab_size
        self.eos_id = eos_id

    @abstractmethod
    def loss(self, batch: Batch) -> LossOutput:
        """Training objective on one batch (uses the module's train/eval mode for sampling)."""

    @abstractmethod
    def encode(self, batch: Batch, mode: str | None = None) -> Tensor:
        """Codes ``[B, latent_dim]`` for ``mode`` (default: ``default_mode``)."""

    def plan_training(self, total_steps: int) -> None:
        """Told once, before the first step, how many optimiser steps the run will take.

        Methods whose schedule is defined relative to the run (TON's slab warm-up) override this;
        the default does nothing.  A method must still work when it is never called (no schedule).
        """

    def check_mode(self, mode: str | None) -> str:
        mode = mode or self.default_mode
        if mode not in self.modes:
            from methods.errors import MethodError

            raise MethodError(f"method {self.name!r} has no encode mode {mode!r}; its modes: {', '.join(self.modes)}")
        return mode

    @property
    def latent_dim(self) -> int:
        return int(self.config.latent_dim)
