"""Loading a described corpus from its files: the frame every file-based built-in loader shares.

A loader only knows its line format (:mod:`tasks.corpora.hsvae_format`, :mod:`tasks.corpora.yelp`);
where the folder is, which files a split has, whether a vocabulary is shipped, the classes and the
length limit all come from the corpus's :class:`~tasks.corpora.info.CorpusInfo`.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Sequence

from tasks.corpora.assemble import RawSplit, assemble, requested_splits
from tasks.corpora.base import Corpus
from tasks.corpora.datadir import describe_data_dir, download_hint, resolve_data_dir
from tasks.corpora.files import find_file, is_dir
from tasks.corpora.info import CorpusInfo, FileLayout
from tasks.corpora.vocab import shipped_vocab
from tasks.errors import CorpusError


def load_files(info: CorpusInfo, data_dir: os.PathLike[str] | str | None, splits: Sequence[str] | None,
               max_length: int | None, read_split: Callable[[Path, FileLayout, str, str], RawSplit]) -> Corpus:
    """What every file-based loader of a described corpus does around its own line format.

    Finds ``<data dir>/<name>/``, reads each requested split with ``read_split(folder, layout, split,
    hint)`` (``hint`` says how to fetch a missing file), uses the layout's shipped vocabulary when it
    is there, and assembles the corpus with the description's classes and length limit.
    """
    layout = info.layout
    if layout is None or info.max_length is None:
        raise ValueError(f"corpus {info.name!r}: a file loader needs the description's layout and max_length")
    names = requested_splits(splits)
    folder = resolve_data_dir(data_dir) / info.name
    if not is_dir(folder):
        raise CorpusError(f"no {info.name} corpus at {folder}: {download_hint(info.name, 'all', data_dir)}")
    raw = [read_split(folder, layout, split, download_hint(info.name, split, data_dir)) for split in names]
    vocab_path = find_file(folder, layout.vocab) if layout.vocab else None
    vocab = shipped_vocab(vocab_path) if vocab_path else None
    note = f"shipped {vocab_path.name}: {len(vocab) - 2:,} words, sorted, + <pad> = 0 and <EOS>" if vocab else ""
    return assemble(info.name, raw, class_names=info.class_names, max_length=max_length or info.max_length,
                    vocab=vocab, vocab_note=note, source=f"{info.name} in {describe_data_dir(data_dir)}")
