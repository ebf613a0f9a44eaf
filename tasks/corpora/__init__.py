"""Named corpora: the built-in catalogue, plugins, user files, lookup with helpful errors, and loading.

A corpus name is one of the built-ins (``CORPORA``), a plugin registered under the entry-point group
``sparsebench.corpora`` (added to ``CORPORA`` under its entry-point name, loaded only when used), or
the path of a user corpus (``.tsv``, ``.csv``, ``.jsonl`` or a ``.toml`` that describes one).

Loaders take keyword options: ``data_dir`` (see :mod:`tasks.corpora.datadir`) and ``splits`` (the
splits to read, training split first), so a missing ``train`` file only matters when it is asked for.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from sparsebench.hints import did_you_mean
from tasks.corpora.base import Corpus, Split
from tasks.errors import CorpusError

ENTRY_POINT_GROUP = "sparsebench.corpora"


@dataclass(frozen=True)
class CorpusInfo:
    name: str
    description: str
    loader: Callable[..., Corpus]
    #: data dir → splits whose files are present; None for corpora that are always complete
    present: Callable[[Any], tuple[str, ...]] | None = None
    origin: str = "built-in"


def _synthetic(**_: object) -> Corpus:
    from tasks.corpora.synthetic import make_synthetic

    return make_synthetic()


def _hsvae(which: str) -> Callable[..., Corpus]:
    def load(data_dir=None, splits=None, max_length=None, **_: object) -> Corpus:
        from tasks.corpora import hsvae_format

        return hsvae_format.load_hsvae(getattr(hsvae_format, which), data_dir, splits, max_length)

    return load


def _yelp(data_dir=None, splits=None, max_length=None, **_: object) -> Corpus:
    from tasks.corpora.yelp import load_yelp

    return load_yelp(data_dir, splits, max_length)


def _present(name: str, pattern: str) -> Callable[[Any], tuple[str, ...]]:
    def present(data_dir=None) -> tuple[str, ...]:
        from tasks.corpora.assemble import present_splits
        from tasks.corpora.datadir import resolve_data_dir

        return present_splits(resolve_data_dir(data_dir) / name, pattern)

    return present


CORPORA: dict[str, CorpusInfo] = {
    "synthetic": CorpusInfo("synthetic", "built-in, generated offline from seed 0: 4 classes, 4000/800/800 sentences",
                            _synthetic),
    "yahoo": CorpusInfo("yahoo", "Yahoo Answers question titles (HSVAE files): 10 classes, 100K/10K/10K, max 30 "
                        "tokens; bench data download yahoo", _hsvae("YAHOO"), _present("yahoo", "{split}.txt")),
    "dbpedia": CorpusInfo("dbpedia", "DBpedia sentences (HSVAE files): 14 classes, 140K/14K/14K, max 60 tokens; "
                          "bench data download dbpedia", _hsvae("DBPEDIA"), _present("dbpedia", "{split}.txt")),
    "yelp": CorpusInfo("yelp", "Yelp reviews (Yang et al. 2017): 5 rating classes, 100K/10K/10K, max 200 tokens; "
                       "bench data download yelp", _yelp, _present("yelp", "yelp.{split}.txt")),
}


def _plugin_loader(entry_point) -> Callable[..., Corpus]:
    def load(**options: object) -> Corpus:
        try:
            target = entry_point.load()
        except Exception as exc:  # a broken plugin is the user's to fix: say which one
            raise CorpusError(f"corpus plugin {entry_point.name!r} ({entry_point.value}) failed to import: "
                              f"{type(exc).__name__}: {exc}") from None
        loader = target.loader if isinstance(target, CorpusInfo) else target
        if not callable(loader):
            raise CorpusError(f"corpus plugin {entry_point.name!r} ({entry_point.value}) is not callable; it must be "
                              "a function (**options) -> Corpus or a CorpusInfo")
        corpus = loader(**options)
        if not isinstance(corpus, Corpus):
            raise CorpusError(f"corpus plugin {entry_point.name!r} returned {type(corpus).__name__}, "
                              "expected tasks.corpora.Corpus")
        return corpus

    return load


def _register_plugins() -> None:
    """Add installed plugins to ``CORPORA`` by name only (reading metadata, importing nothing)."""
    from importlib.metadata import entry_points

    try:
        found = entry_points(group=ENTRY_POINT_GROUP)
    except Exception:  # pragma: no cover - broken site-packages metadata must not break the CLI
        return
    for ep in found:
        if ep.name in CORPORA:
            continue  # built-ins win; a plugin cannot shadow yahoo
        CORPORA[ep.name] = CorpusInfo(ep.name, f"plugin {ep.value}", _plugin_loader(ep), origin=f"plugin {ep.value}")


_register_plugins()


def is_user_corpus(name: str) -> bool:
    from tasks.corpora.user import USER_SUFFIXES

    return Path(name).suffix.lower() in USER_SUFFIXES or os.sep in name or "/" in name


def corpus_info(name: str) -> CorpusInfo:
    if name in CORPORA:
        return CORPORA[name]
    if is_user_corpus(name):
        from tasks.corpora.user import user_corpus_info

        return user_corpus_info(name)
    raise CorpusError(
        f"unknown corpus {name!r}{did_you_mean(name, CORPORA)}; valid corpora: {', '.join(sorted(CORPORA))}, "
        "or the path of a .tsv, .csv, .jsonl or .toml file"
    )


def load_corpus(name: str, **options: object) -> Corpus:
    return corpus_info(name).loader(**options)


__all__ = ["CORPORA", "ENTRY_POINT_GROUP", "Corpus", "CorpusInfo", "Split", "corpus_info", "load_corpus",
           ]
