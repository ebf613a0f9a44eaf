"""Named corpora: the built-in catalogue, plugins, user files, lookup with helpful errors, and loading.

A corpus name is one of the built-ins (:data:`tasks.corpora.catalogue.BUILTIN_CORPORA`, each one
:class:`CorpusInfo`), a plugin registered under the entry-point group ``sparsebench.corpora`` (found
by name, imported only when used: the registry :data:`tasks.corpora.plugins.CORPORA`), or the path of a user corpus
(``.tsv``, ``.csv``, ``.jsonl`` or a ``.toml`` that describes one).  Importing this package imports
no plugin and reads no metadata.

Loaders take keyword options: ``data_dir`` (see :mod:`tasks.corpora.datadir`) and ``splits`` (the
splits to read, training split first), so a missing ``train`` file only matters when it is asked for.
"""
from __future__ import annotations

import os
from pathlib import Path

from sparsebench.hints import did_you_mean
from sparsebench.registry import Entry
from tasks.corpora.base import Corpus, Split
from tasks.corpora.info import CorpusInfo, FileLayout, LengthShape, RemoteFile
from tasks.corpora.plugins import CORPORA, ENTRY_POINT_GROUP
from tasks.errors import CorpusError


def registered() -> dict[str, Entry[CorpusInfo]]:
    """Built-ins and installed plugins by name (:data:`tasks.corpora.plugins.CORPORA`), importing no plugin;
    never raises for a bad one (a clashing or broken plugin refuses, naming why, when it is loaded)."""
    return CORPORA.entries()


def is_user_corpus(name: str) -> bool:
    from tasks.corpora.user import USER_SUFFIXES

    return Path(name).suffix.lower() in USER_SUFFIXES or os.sep in name or "/" in name


def corpus_info(name: str) -> CorpusInfo:
    """The description of ``name``: a built-in, a plugin (imported now) or a user file.

    An unknown name, a clashing or broken plugin, or a missing user file is a :class:`CorpusError`.
    """
    entries = registered()
    if name in entries:
        return CORPORA.load(name)
    if is_user_corpus(name):
        from tasks.corpora.user import user_corpus_info

        return user_corpus_info(name)
    raise CorpusError(
        f"unknown corpus {name!r}{did_you_mean(name, entries)}; valid corpora: {', '.join(sorted(entries))}, "
        "or the path of a .tsv, .csv, .jsonl or .toml file"
    )


def load_corpus(name: str, **options: object) -> Corpus:
    return corpus_info(name).loader(**options)


__all__ = ["CORPORA", "ENTRY_POINT_GROUP", "Corpus", "CorpusInfo", "FileLayout", "LengthShape", "RemoteFile",
           "Split", "corpus_info", "is_user_corpus", "load_corpus", "registered"]
