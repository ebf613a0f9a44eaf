"""From a corpus split (numpy) to method batches (torch).

The split is padded once into an ``[N, max_len]`` int32 matrix; a batch is a row gather cut to its
longest sentence, so collation costs one indexing call rather than a Python loop per sentence.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np
import torch

from methods.base import Batch
from tasks.batching import bucket_batches, count_batches
from tasks.corpora.base import Split


class PaddedSplit:
    def __init__(self, split: Split) -> None:
        lengths = split.lengths
        self.lengths = lengths
        self.labels = split.labels
        n, width = len(split), int(lengths.max()) if len(split) else 0
        padded = np.zeros((n, width), dtype=np.int32)
        cols = np.arange(split.offsets[-1]) - np.repeat(split.offsets[:-1], lengths)
        padded[np.repeat(np.arange(n), lengths), cols] = split.ids
        self.padded = padded

    def __len__(self) -> int:
        return len(self.lengths)

    def batch(self, index: np.ndarray) -> Batch:
        lengths = self.lengths[index]
        tokens = torch.from_numpy(self.padded[index, : int(lengths.max())].astype(np.int64))
        return Batch(tokens, torch.from_numpy(lengths.astype(np.int64)), torch.from_numpy(self.labels[index]))

    def batches_per_epoch(self, batch_size: int) -> int:
        return count_batches(len(self.lengths), batch_size)

    def train_batches(self, batch_size: int, rng: np.random.Generator) -> Iterator[Batch]:
        for index in bucket_batches(self.lengths, batch_size, rng):
            yield self.batch(index)

    def eval_batches(self, batch_size: int) -> Iterator[tuple[np.ndarray, Batch]]:
        """Batches in length order (little padding) with the row indices they cover."""
        order = np.argsort(self.lengths, kind="stable")
        for i in range(0, len(order), batch_size):
            index = order[i : i + batch_size]
            yield index, self.batch(index)
