"""Which sentences share a batch, as row indices: numpy only, so every package can use it.

The policy (random membership for the paper protocol, length pools on request) and why it matters
for batch-level objectives are described in :mod:`bench.data.batches`, the data path that uses these.
"""
from __future__ import annotations

import numpy as np


def random_batches(n: int, batch_size: int, rng: np.random.Generator,
                   lengths: np.ndarray | None = None) -> list[np.ndarray]:
    """A seeded shuffle cut into batches: every sentence once per epoch, membership random.

    With ``lengths``, each batch's rows are then ordered longest first (stable); membership is the
    shuffle's alone either way.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    order = rng.permutation(n)
    batches = [order[i:i + batch_size] for i in range(0, n, batch_size)]
    if lengths is not None:
        if len(lengths) != n:
            raise ValueError(f"{len(lengths)} lengths for {n} sentences")
        batches = [b[np.argsort(-lengths[b], kind="stable")] for b in batches]
    return batches


def bucket_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator, pool: int = 50) -> list[np.ndarray]:
    """Shuffle, cut into pools of ``pool`` batches, sort each pool by length, cut it, shuffle the batches."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if pool < 1:
        raise ValueError(f"pool must be >= 1 batch, got {pool}")
    order = rng.permutation(len(lengths))
    batches: list[np.ndarray] = []
    step = batch_size * pool
    for start in range(0, len(order), step):
        chunk = order[start : start + step]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


def count_batches(n: int, batch_size: int, pool: int = 0) -> int:
    """How many batches an epoch of ``n`` sentences has (the same every epoch)."""
    if pool == 0:
        return -(-n // batch_size)
    step = batch_size * pool
    return (n // step) * pool + -(-(n % step) // batch_size)


def padding_fraction(lengths: np.ndarray, batches: list[np.ndarray]) -> float:
    """Share of a padded batch that is padding (0 = none)."""
    padded = sum(len(b) * int(lengths[b].max()) for b in batches if len(b))
    return 1.0 - float(np.sum(lengths)) / padded if padded else 0.0
