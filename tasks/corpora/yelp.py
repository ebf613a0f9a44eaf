"""yelp in the layout of Yang et al. 2017: ``yelp.{split}.txt``, the label first on every line.

``3\\tthe food was great ...`` or ``3 the food was great ...`` (a tab or a space after the label).
Labels are the ratings 0..4.  The repository ships no vocabulary file, so the vocabulary is the
20K most frequent words of the training split (a ``vocab.txt`` beside the files is used if present).
"""
from __future__ import annotations

import os
from typing import Sequence

from tasks.corpora.assemble import RawSplit, assemble, requested_splits
from tasks.corpora.base import Corpus
from tasks.corpora.datadir import describe_data_dir, download_hint, resolve_data_dir
from tasks.corpora.files import find_file, read_lines, require_file
from tasks.corpora.labels import parse_int_labels
from tasks.corpora.vocab import shipped_vocab
from tasks.errors import CorpusError

NAME = "yelp"
MAX_LENGTH = 200
CLASS_NAMES = ("0", "1", "2", "3", "4")
DESCRIPTION = "Yelp reviews (Yang et al. 2017 files): 5 rating classes, 100K/10K/10K, max 200 tokens"


def file_name(split: str) -> str:
    return f"yelp.{split}.txt"


def parse_yelp_lines(lines: list[str], path) -> tuple[list[str], list[str]]:
    """Split every line into (label, text) at its first tab or space; a line without text is an error."""
    labels: list[str] = []
    texts: list[str] = []
    for number, line in enumerate(lines, 1):
        parts = line.lstrip().split(None, 1)
        if len(parts) < 2 or not parts[1].strip():
            raise CorpusError(f"{path}, line {number}: expected '<label><tab or space><review>', got {line[:60]!r}")
        labels.append(parts[0])
        texts.append(parts[1])
    return labels, texts


def load_yelp(data_dir: os.PathLike[str] | str | None = None, splits: Sequence[str] | None = None,
              max_length: int | None = None) -> Corpus:
    names = requested_splits(splits)
    folder = resolve_data_dir(data_dir) / NAME
    if not folder.is_dir():
        raise CorpusError(f"no {NAME} corpus at {folder}: {download_hint(NAME, 'all', data_dir)}")
    raw = []
    for split in names:
        path = require_file(folder, file_name(split), download_hint(NAME, split, data_dir))
        label_values, texts = parse_yelp_lines(read_lines(path), path)
        labels = parse_int_labels(label_values, path, len(CLASS_NAMES))
        raw.append(RawSplit(split, texts, labels, path, path))
    vocab_path = find_file(folder, "vocab.txt")
    vocab = shipped_vocab(vocab_path) if vocab_path else None
    note = f"shipped {vocab_path.name}: {len(vocab) - 2:,} words, sorted, + <pad> = 0 and <EOS>" if vocab else ""
    return assemble(NAME, raw, class_names=CLASS_NAMES, max_length=max_length or MAX_LENGTH, vocab=vocab,
                    vocab_note=note, source=f"{NAME} in {describe_data_dir(data_dir)}")
