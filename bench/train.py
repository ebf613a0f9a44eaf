"""The training loop every method shares: Adam, seeded bucketed batches, NaN divergence detection."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

from bench.data import PaddedSplit
from methods.base import SparseEncoder


class DivergenceError(RuntimeError):
    """The loss became NaN or infinite: recorded as a failed cell, never as a result."""


@dataclass
class TrainLog:
    epoch_losses: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0
    steps: int = 0
    tokens: int = 0


def train(model: SparseEncoder, data: PaddedSplit, *, epochs: int, batch_size: int, lr: float,
          rng: np.random.Generator, device: torch.device, log: Callable[[str], None] = lambda s: None) -> TrainLog:
    model.to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    out = TrainLog()
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        sums: dict[str, torch.Tensor] = {}
        sentences = 0
        for batch in data.train_batches(batch_size, rng):
            batch = batch.to(device)
            loss = model.loss(batch)
            opt.zero_grad(set_to_none=True)
            loss.total.backward()
            opt.step()
            n = batch.size
            sentences += n
            out.steps += 1
            out.tokens += int(batch.lengths.sum())
            for name, value in {"total": loss.total, **loss.terms}.items():
                sums[name] = sums.get(name, 0.0) + value.detach() * n
        means = {k: float(v) / max(sentences, 1) for k, v in sums.items()}  # one host sync per epoch
        if not all(math.isfinite(v) for v in means.values()):
            raise DivergenceError(f"loss diverged in epoch {epoch}: {means}")
        out.epoch_losses.append(means)
        log(f"epoch {epoch}/{epochs} " + " ".join(f"{k}={v:.4f}" for k, v in means.items()))
    out.seconds = time.perf_counter() - start
    return out
