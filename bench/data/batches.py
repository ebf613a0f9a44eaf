"""From a corpus split (numpy) to method batches (torch): padding, and which sentences share a batch.

The split is padded once into an ``[N, max_len]`` int32 matrix; a batch is a row gather cut to its
longest sentence, so collation costs one indexing call rather than a Python loop per sentence.

Batch *membership* is part of the protocol, not only of speed: MAT-VAE's MMD and BatchTopK's budget
are batch statistics, so a batch must be a random sample of the corpus, as the reference code's
shuffled batches are.  ``length_pool = 0`` (the default) does exactly that.  ``length_pool = N``
cuts batches from length-sorted pools of N batches (the classic bucketing trick: almost no padding,
but a batch then holds sentences of one length).  The GRUs run on the padded batch either way and
read each sentence's last real token, so the function computed does not depend on it.

Inside a random batch the rows are ordered longest first.  That does not change the batch's members
(so no batch statistic) nor, for a padded tensor, its padding; it is the order
``pack_padded_sequence(enforce_sorted=True)`` expects, so a plugin backbone that packs needs no sort.

Scoring has two kinds of batches.  Encoding is a per-sentence function, so :meth:`PaddedSplit.eval_batches`
takes the split in length order (least padding).  Loss terms reported on the test split (MAT-VAE's
MMD, the total loss) are batch statistics like the training objective, so
:meth:`PaddedSplit.loss_batches` gives them seeded random membership, as in training.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np
import torch

from methods.base import Batch
from sparsebench.batching import bucket_batches, count_batches, padding_fraction, random_batches
from tasks.corpora.base import Split

__all__ = ["PaddedSplit", "bag_of_words_embeddings", "bucket_batches", "count_batches", "padding_fraction",
           "random_batches", "restrict_vocabulary", "synthetic_conformance_data"]


class PaddedSplit:
    """A split ready for batching; ``inputs`` holds its frozen sentence embeddings on the embedding backbone."""

    def __init__(self, split: Split, inputs: np.ndarray | None = None) -> None:
        lengths = split.lengths
        self.lengths = lengths
        self.labels = split.labels
        n, width = len(split), int(lengths.max()) if len(split) else 0
        padded = np.zeros((n, width), dtype=np.int32)
        cols = np.arange(split.offsets[-1]) - np.repeat(split.offsets[:-1], lengths)
        padded[np.repeat(np.arange(n), lengths), cols] = split.ids
        self.padded = padded
        if inputs is not None and len(inputs) != n:
            raise ValueError(f"{len(inputs)} embeddings for a split of {n} sentences")
        self.inputs = None if inputs is None else np.ascontiguousarray(inputs, dtype=np.float32)

    def __len__(self) -> int:
        return len(self.lengths)

    def batch(self, index: np.ndarray) -> Batch:
        lengths = self.lengths[index]
        tokens = torch.from_numpy(self.padded[index, : int(lengths.max())].astype(np.int64))
        inputs = None if self.inputs is None else torch.from_numpy(self.inputs[index])
        return Batch(tokens, torch.from_numpy(lengths.astype(np.int64)), torch.from_numpy(self.labels[index]), inputs)

    def batches_per_epoch(self, batch_size: int, pool: int = 0) -> int:
        return count_batches(len(self.lengths), batch_size, pool)

    def train_batches(self, batch_size: int, rng: np.random.Generator, pool: int = 0) -> Iterator[Batch]:
        for index in self.train_indices(batch_size, rng, pool):
            yield self.batch(index)

    def train_indices(self, batch_size: int, rng: np.random.Generator, pool: int = 0) -> list[np.ndarray]:
        """The row indices of one epoch's batches, as :meth:`train_batches` yields them."""
        return (random_batches(len(self.lengths), batch_size, rng, self.lengths) if pool == 0
                else bucket_batches(self.lengths, batch_size, rng, pool))

    def eval_batches(self, batch_size: int) -> Iterator[tuple[np.ndarray, Batch]]:
        """Batches in length order (little padding) with the row indices they cover.

        For per-sentence functions only (encoding): a batch here holds sentences of one length, so a
        batch statistic computed on it would be biased; use :meth:`loss_batches` for those.
        """
        order = np.argsort(self.lengths, kind="stable")
        for i in range(0, len(order), batch_size):
            index = order[i : i + batch_size]
            yield index, self.batch(index)

    def loss_batches(self, batch_size: int, seed: int) -> Iterator[tuple[np.ndarray, Batch]]:
        """Batches of seeded random membership (each longest first) with their row indices: for loss
        terms reported on a split, whose batch-level parts (MMD, batch-mean activity) must see random
        samples of the corpus as they do in training."""
        for index in random_batches(len(self.lengths), batch_size, np.random.default_rng(seed), self.lengths):
            yield index, self.batch(index)


def bag_of_words_embeddings(split: Split, vocab_size: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    """A stand-in sentence encoder for checks and tests: the mean of fixed random word vectors.

    Cheap and deterministic, and it carries the corpus's class signal, so a method on the embedding
    backbone can be checked without a pretrained model.
    """
    words = np.random.default_rng(seed).normal(size=(vocab_size, dim)).astype(np.float32)
    sums = np.add.reduceat(words[split.ids], split.offsets[:-1], axis=0) if len(split) else np.zeros((0, dim))
    return (sums / split.lengths[:, None]).astype(np.float32)


def synthetic_conformance_data(seed: int, n_batches: int = 8, batch_size: int = 16):
    """A few small batches of the built-in synthetic corpus, chosen by ``seed``, with stand-in embeddings
    (:func:`bag_of_words_embeddings`) so that the checks can run on either backbone."""
    from methods.conformance import ConformanceData
    from tasks.corpora.synthetic import SyntheticSpec, make_synthetic

    corpus = make_synthetic(SyntheticSpec(train_size=(n_batches + 1) * batch_size, valid_size=0, test_size=0))
    split = corpus.split("train")
    data = PaddedSplit(split, bag_of_words_embeddings(split, corpus.vocab_size))
    order = np.random.default_rng(seed).permutation(len(data))
    batches = [data.batch(np.sort(order[i * batch_size:(i + 1) * batch_size])) for i in range(n_batches + 1)]
    return ConformanceData(corpus.vocab_size, corpus.eos_id, batches[:-1], batches[-1])


def restrict_vocabulary(train: Split, others: list[Split], *, eos_id: int, unk_id: int, max_vocab: int
                        ) -> tuple[Split, list[Split], int, int, dict]:
    """Keep the ``max_vocab`` words most frequent in ``train``; every other word becomes ``_UNK``.

    The output layer over a 20K vocabulary is ~90% of a small model's training FLOPs, while a
    10K-sentence training split uses a fraction of the words (Yahoo's valid split: 9,197; its 5,000
    most frequent cover 96.7% of its tokens).  Ids are renumbered as the corpus loader numbers them:
    ``<pad>`` = 0, the kept words, ``_UNK``, then ``<EOS>`` last.  Returns (train, others, vocabulary
    size, ``<EOS>`` id, a note for the record).  Ties in frequency are broken by the old id, so the
    choice is deterministic.
    """
    counts = np.bincount(train.ids, minlength=max(eos_id, unk_id) + 1).astype(np.int64)
    counts[[0, eos_id, unk_id]] = -1
    order = np.lexsort((np.arange(len(counts)), -counts))
    keep = order[: max_vocab][counts[order[: max_vocab]] > 0]
    new_unk, new_eos = len(keep) + 1, len(keep) + 2
    table = np.full(len(counts), new_unk, dtype=np.int32)
    table[0], table[eos_id] = 0, new_eos
    table[keep] = np.arange(1, len(keep) + 1, dtype=np.int32)

    def remap(split: Split) -> Split:
        ids = np.where(split.ids < len(table), table[np.minimum(split.ids, len(table) - 1)], new_unk)
        return Split(ids=ids.astype(np.int32), offsets=split.offsets, labels=split.labels, truncated=split.truncated)

    covered = float(np.isin(train.ids, keep).mean() + np.mean(train.ids == eos_id))
    note = {"max_vocab": max_vocab, "kept_words": int(len(keep)), "vocab_size": int(new_eos + 1),
            "train_token_coverage": round(covered, 4)}
    return remap(train), [remap(s) for s in others], new_eos + 1, new_eos, note
