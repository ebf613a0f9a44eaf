"""Table-2-style statistics of a loaded corpus: sentences, lengths, classes, truncation.

Lengths count tokens *without* the ``<EOS>`` every sentence ends with, so that they match the
paper's Table 2 and the corpus files of the HSVAE repository (VictorProkhorov/HSVAE, Data/New_Yahoo:
yahoo valid 5 / 12.4 / 30 tokens min / mean / max).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tasks.corpora.base import EOS, Corpus, Split


@dataclass(frozen=True)
class SplitStats:
    name: str
    sentences: int
    min_length: int
    avg_length: float
    max_length: int
    truncated: int
    class_counts: tuple[int, ...]


def token_lengths(split: Split, eos_id: int) -> np.ndarray:
    """Tokens per sentence, not counting a final ``<EOS>``."""
    lengths = split.lengths.copy()
    if len(split):
        ends_with_eos = split.ids[split.offsets[1:] - 1] == eos_id
        lengths[ends_with_eos & (lengths > 0)] -= 1
    return lengths


def split_stats(name: str, split: Split, eos_id: int, n_classes: int) -> SplitStats:
    lengths = token_lengths(split, eos_id)
    counts = np.bincount(split.labels, minlength=n_classes) if len(split) else np.zeros(n_classes, dtype=int)
    if not len(split):
        return SplitStats(name, 0, 0, 0.0, 0, split.truncated, tuple(int(c) for c in counts))
    return SplitStats(name, len(split), int(lengths.min()), float(lengths.mean()), int(lengths.max()),
                      split.truncated, tuple(int(c) for c in counts))


def corpus_stats(corpus: Corpus) -> list[SplitStats]:
    eos = corpus.vocab.index(EOS) if EOS in corpus.vocab else -1
    order = {"train": 0, "valid": 1, "test": 2}
    return [split_stats(n, corpus.splits[n], eos, corpus.n_classes)
            for n in sorted(corpus.splits, key=lambda n: (order.get(n, 3), n))]
