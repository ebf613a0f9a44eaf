"""The in-memory corpus every method trains on and every metric reads labels from.

A corpus is token ids (numpy, one flat array per split plus offsets) rather than strings so that a
100K-review split stays compact, and so that ``tasks`` never needs torch.
"""
from __future__ import annotations

import hashlib
from functools import cached_property
from dataclasses import dataclass, field

import numpy as np

PAD, EOS, UNK = "<pad>", "<EOS>", "_UNK"


@dataclass(frozen=True)
class Split:
    """One split: sentences as ragged token ids (each ends with ``<EOS>``) and integer labels.

    ``ids[offsets[i]:offsets[i+1]]`` is sentence *i*.  ``truncated`` counts sentences cut to the
    corpus's maximum length, so truncation is reported, never silent.
    """

    ids: np.ndarray  # int32, concatenated token ids
    offsets: np.ndarray  # int64, len = n + 1
    labels: np.ndarray  # int64, len = n
    truncated: int = 0

    def __post_init__(self) -> None:
        if len(self.offsets) != len(self.labels) + 1:
            raise ValueError("offsets must have one entry more than labels")

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def sentence(self, i: int) -> np.ndarray:
        return self.ids[self.offsets[i] : self.offsets[i + 1]]

    @classmethod
    def from_sequences(cls, seqs: list[np.ndarray] | list[list[int]], labels, truncated: int = 0) -> "Split":
        lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
        offsets = np.zeros(len(seqs) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        ids = np.concatenate([np.asarray(s, dtype=np.int32) for s in seqs]) if seqs else np.zeros(0, np.int32)
        return cls(ids=ids, offsets=offsets, labels=np.asarray(labels, dtype=np.int64), truncated=truncated)

    def texts(self, vocab: tuple[str, ...] | list[str]) -> list[str]:
        """Each sentence as text, for encoders that read strings (frozen sentence encoders).

        Tokens joined by single spaces, ``<EOS>`` and ``<pad>`` dropped.  The corpus files are
        already tokenised and lower-cased, so this is the file's line up to whitespace, except
        that words outside the vocabulary read as ``_UNK``.
        """
        words = np.asarray(vocab, dtype=object)
        keep = ~np.isin(words, [PAD, EOS])[self.ids]
        return [" ".join(words[self.ids[a:b][keep[a:b]]])
                for a, b in zip(self.offsets[:-1].tolist(), self.offsets[1:].tolist())]

    def subset(self, index: np.ndarray) -> "Split":
        return Split.from_sequences([self.sentence(int(i)) for i in index], self.labels[index])


@dataclass(frozen=True)
class Corpus:
    """A labelled corpus: vocabulary (``<pad>`` = 0), splits, class names and a content checksum."""

    name: str
    vocab: tuple[str, ...]
    splits: dict[str, Split]
    class_names: tuple[str, ...]
    max_length: int
    source: str = ""
    notes: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.vocab or self.vocab[0] != PAD:
            raise ValueError("vocab[0] must be <pad>")

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def eos_id(self) -> int:
        return self.vocab.index(EOS)

    def split(self, name: str) -> Split:
        from tasks.errors import CorpusError

        if name not in self.splits:
            raise CorpusError(
                f"corpus {self.name!r} has no {name!r} split; it has: {', '.join(sorted(self.splits))}"
            )
        return self.splits[name]

    @cached_property
    def checksum(self) -> str:
        """sha256 over vocabulary, ids and labels of every split: identifies the exact data a run saw."""
        h = hashlib.sha256()
        h.update("\n".join(self.vocab).encode())
        for name in sorted(self.splits):
            s = self.splits[name]
            h.update(name.encode())
            h.update(np.ascontiguousarray(s.ids, dtype=np.int32).tobytes())
            h.update(np.ascontiguousarray(s.offsets, dtype=np.int64).tobytes())
            h.update(np.ascontiguousarray(s.labels, dtype=np.int64).tobytes())
        return h.hexdigest()
