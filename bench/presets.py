"""Named sizes: ``smoke`` for tests, ``cpu`` for minutes on a laptop, ``paper`` for HSVAE §1.5.

Presets change sizes and epochs only; every method hyperparameter keeps the paper's default unless
``--set`` says otherwise.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Preset:
    description: str
    model: dict[str, Any] = field(default_factory=dict)
    train: dict[str, Any] = field(default_factory=dict)


PRESETS: dict[str, Preset] = {
    "smoke": Preset("tiny model, a few epochs: seconds on CPU (tests, CI)",
                    model={"embed_dim": 32, "hidden_dim": 64, "latent_dim": 16},
                    train={"epochs": 3, "batch_size": 64, "max_train_sentences": 4000}),
    "cpu": Preset("small model: minutes on 2 CPU cores",
                  model={"embed_dim": 128, "hidden_dim": 256, "latent_dim": 32},
                  train={"epochs": 6, "batch_size": 128, "max_train_sentences": 20000}),
    "paper": Preset("the paper's sizes: embedding 256, GRU 512, latent 32, Adam 8e-4, batch 256, 15 epochs",
                    model={"embed_dim": 256, "hidden_dim": 512, "latent_dim": 32},
                    train={"epochs": 15, "batch_size": 256}),
}
