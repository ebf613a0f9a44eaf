"""The one path from parsed files to a :class:`Corpus`, shared by every file-based loader.

Loaders parse their own layout into :class:`RawSplit` (texts + integer labels + where they came
from); this module picks the vocabulary, checks that every class of every other split occurs in the
training split, indexes the texts and records what happened (files, vocabulary origin, truncation)
in ``Corpus.source`` and ``Corpus.notes`` so that a run's provenance carries it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from tasks.corpora.base import EOS, PAD, UNK, Corpus
from tasks.corpora.files import find_file
from tasks.corpora.indexing import encode_building_vocab, encode_split
from tasks.corpora.labels import check_classes_seen
from tasks.corpora.vocab import DEFAULT_MAX_VOCAB
from tasks.errors import CorpusError

SPLIT_ORDER = ("train", "valid", "test")


@dataclass
class RawSplit:
    name: str
    texts: Sequence[str]
    labels: np.ndarray
    path: Path
    label_path: Path
    line_numbers: Sequence[int] | None = None  # line of each item when not simply i + 1


def requested_splits(splits: Sequence[str] | None) -> tuple[str, ...]:
    """The splits to load, training split first, without repeats; ``None`` means all three."""
    if splits is None:
        return SPLIT_ORDER
    names = tuple(dict.fromkeys(s for s in splits if s))
    if not names:
        raise CorpusError("no split requested: name at least one of train, valid, test")
    unknown = [s for s in names if s not in SPLIT_ORDER]
    if unknown:
        raise CorpusError(f"unknown split {unknown[0]!r}; valid splits: {', '.join(SPLIT_ORDER)}")
    return names


def present_splits(folder: Path, pattern: str) -> tuple[str, ...]:
    """The standard splits whose file (``pattern.format(split=…)``, plain or ``.gz``) is in ``folder``."""
    return tuple(s for s in SPLIT_ORDER if find_file(folder, pattern.format(split=s)) is not None)


def assemble(name: str, raw: Sequence[RawSplit], *, class_names: Sequence[str], max_length: int,
             vocab: tuple[str, ...] | None = None, vocab_note: str = "", source: str = "",
             tokenize: Callable[[str], list[str]] = str.split, max_vocab: int = DEFAULT_MAX_VOCAB) -> Corpus:
    """Build the corpus; ``raw[0]`` is the training split (its classes and, without a shipped vocabulary, its words)."""
    train = raw[0]
    for other in raw[1:]:
        check_classes_seen(train.labels, train.name, other.labels, other.name, other.label_path, class_names,
                           other.line_numbers)
    splits = {}
    if vocab is None:
        splits[train.name], vocab = encode_building_vocab(train.texts, train.labels, max_length=max_length,
                                                          max_size=max_vocab, tokenize=tokenize)
        vocab_note = f"top {max_vocab:,} words of {train.path.name} ({train.name} split): {len(vocab):,} ids"
    index = {w: i for i, w in enumerate(vocab) if w != PAD}  # a literal "<pad>" in a text is unknown, not padding
    eos, unk = index[EOS], index[UNK]
    for r in raw:
        if r.name not in splits:
            splits[r.name] = encode_split(r.texts, r.labels, index, eos=eos, unk=unk, max_length=max_length,
                                          tokenize=tokenize)
    splits = {r.name: splits[r.name] for r in raw}
    truncation = ", ".join(f"{n} {s.truncated:,} of {len(s):,}" for n, s in splits.items())
    notes = {"vocab": vocab_note, "max_length": f"{max_length} tokens before <EOS>", "truncated": truncation,
             "vocab_split": train.name}
    notes.update({f"file:{r.name}": str(r.path) for r in raw})
    notes.update({f"labels:{r.name}": str(r.label_path) for r in raw if r.label_path != r.path})
    full_source = f"{source}; sentences cut to {max_length} tokens: {truncation}"
    return Corpus(name=name, vocab=tuple(vocab), splits=splits, class_names=tuple(class_names),
                  max_length=max_length + 1, source=full_source, notes=notes)

