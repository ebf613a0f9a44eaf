"""yelp in the layout of Yang et al. 2017: ``yelp.{split}.txt``, the label first on every line.

``3\\tthe food was great ...`` or ``3 the food was great ...`` (a tab or a space after the label).
Labels are the ratings 0..4.  The repository ships no vocabulary file, so the vocabulary is the
20K most frequent words of the training split (a ``vocab.txt`` beside the files is used if present).
File names, classes and the length limit come from the corpus's description
(:mod:`tasks.corpora.catalogue`).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from tasks.corpora.assemble import RawSplit
from tasks.corpora.base import Corpus
from tasks.corpora.described import load_files
from tasks.corpora.files import read_lines, require_file
from tasks.corpora.info import CorpusInfo, FileLayout
from tasks.corpora.labels import parse_int_labels
from tasks.errors import CorpusError


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


def load_yelp(info: CorpusInfo, data_dir: os.PathLike[str] | str | None = None,
              splits: Sequence[str] | None = None, max_length: int | None = None) -> Corpus:
    """Load ``splits`` (training split first; default train, valid, test) of a label-first corpus."""

    def read_split(folder: Path, layout: FileLayout, split: str, hint: str) -> RawSplit:
        path = require_file(folder, layout.text_file(split), hint)
        label_values, texts = parse_yelp_lines(read_lines(path), path)
        return RawSplit(split, texts, parse_int_labels(label_values, path, len(info.class_names)), path, path)

    return load_files(info, data_dir, splits, max_length, read_split)
