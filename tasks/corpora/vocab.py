"""Vocabularies exactly as the original HSVAE loader builds them.

Shipped ``vocab.txt``: the set of its lines (right-stripped), sorted, with ``<pad>`` = 0 before and
``<EOS>`` after, so 20,000 words give 20,002 ids.  yahoo's file holds one empty-string entry; it is
kept (it occupies an id as in the original) but no token ever maps to it because sentences are split
on whitespace.  Without a shipped file: the ``max_size`` most frequent words of the training split,
sorted the same way, plus ``_UNK``.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Callable, Iterable

from tasks.corpora.base import EOS, PAD, UNK
from tasks.corpora.files import read_lines

DEFAULT_MAX_VOCAB = 20_000
_RESERVED = {PAD, EOS}


def _finish(words: Iterable[str]) -> tuple[str, ...]:
    body = sorted(set(words) - _RESERVED)
    vocab = (PAD, *body, EOS)
    return vocab if UNK in body else (*vocab, UNK)


def vocab_ids(words: int) -> tuple[int, int]:
    """(vocabulary size, ``<EOS>`` id) that :func:`_finish` gives ``words`` distinct words, ``_UNK`` among them.

    ``<pad>`` = 0, the words 1..words, ``<EOS>`` = words + 1: what a corpus's shape declares so that
    data shaped like it (``bench profile``) uses the id the real files would give.
    """
    return words + 2, words + 1


def shipped_vocab(path: Path) -> tuple[str, ...]:
    """The model vocabulary from a ``vocab.txt`` (one word a line, any order)."""
    return _finish(line.rstrip() for line in read_lines(path, allow_empty_lines=True))


def top_k_vocab(texts: Iterable[str], tokenize: Callable[[str], list[str]] = str.split,
                max_size: int = DEFAULT_MAX_VOCAB) -> tuple[str, ...]:
    """The ``max_size`` most frequent tokens (ties broken alphabetically, so it is deterministic)."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(tokenize(text))
    for reserved in _RESERVED:
        counts.pop(reserved, None)
    counts.pop(UNK, None)
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: max(max_size - 1, 0)]
    return _finish([UNK, *(w for w, _ in top)])
