"""yahoo and dbpedia in the HSVAE authors' layout: ``{split}.txt``, ``{split}_class_label.txt``, ``vocab.txt``.

Texts are already tokenised, lower-cased and ``_UNK``-ed; one sentence a line, its class id on the
same line of the label file.  Only the requested splits are read, so a missing ``train.txt`` matters
only when the training split is ``train``.  File names, classes and the length limit come from the
corpus's description (:mod:`tasks.corpora.catalogue`), never from constants here.
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
from tasks.corpora.labels import check_same_count, parse_int_labels


def load_hsvae(info: CorpusInfo, data_dir: os.PathLike[str] | str | None = None,
               splits: Sequence[str] | None = None, max_length: int | None = None) -> Corpus:
    """Load ``splits`` (training split first; default train, valid, test) of an HSVAE-layout corpus."""

    def read_split(folder: Path, layout: FileLayout, split: str, hint: str) -> RawSplit:
        text_path = require_file(folder, layout.text_file(split), hint)
        label_path = require_file(folder, layout.label_file(split), hint)
        texts = read_lines(text_path)
        label_lines = read_lines(label_path)
        check_same_count(text_path, len(texts), label_path, len(label_lines))
        labels = parse_int_labels(label_lines, label_path, len(info.class_names))
        return RawSplit(split, texts, labels, text_path, label_path)

    return load_files(info, data_dir, splits, max_length, read_split)
