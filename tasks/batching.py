"""Seeded, shuffled length buckets: batches of similar lengths so that padding stays small.

Indices are shuffled, cut into pools of ``pool`` batches, each pool sorted by length and cut into
batches, and the batch order shuffled again.  Every epoch sees every sentence exactly once.
"""
from __future__ import annotations

import numpy as np


def bucket_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator, pool: int = 50) -> list[np.ndarray]:
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


def count_batches(n: int, batch_size: int, pool: int = 50) -> int:
    """How many batches ``bucket_batches`` makes of ``n`` sentences (the same every epoch)."""
    step = batch_size * pool
    return (n // step) * pool + -(-(n % step) // batch_size)


def padding_fraction(lengths: np.ndarray, batches: list[np.ndarray]) -> float:
    """Share of a padded batch that is padding: what bucketing is for (0 = none)."""
    padded = sum(len(b) * int(lengths[b].max()) for b in batches if len(b))
    return 1.0 - float(np.sum(lengths)) / padded if padded else 0.0
