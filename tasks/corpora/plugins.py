"""The corpus registry: built-ins from the catalogue, plugins by entry point (``sparsebench.corpora``), all lazy.

One instance of the generic registry (:mod:`sparsebench.registry`, the same mechanism and clash rule as
methods, metrics and executors): listing corpora imports no plugin.  An entry point names either a
:class:`~tasks.corpora.info.CorpusInfo` (the same description the built-ins declare: files, sources,
lengths, shape) or a plain loader ``(**options) -> Corpus``, which gets a minimal description.  A
plugin's loader is checked to return a :class:`Corpus`; :mod:`tasks.corpora.conformance` is the suite
a corpus plugin's author runs in their own tests.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable

from sparsebench.registry import BUILT_IN, Entry, Registry
from tasks.corpora.base import Corpus
from tasks.corpora.info import CorpusInfo
from tasks.errors import CorpusError

ENTRY_POINT_GROUP = "sparsebench.corpora"


def _check(name: str, target: Any) -> list[str]:
    if isinstance(target, CorpusInfo):
        if target.name != name:
            return [f"describes a corpus named {target.name!r}; the entry-point name and the CorpusInfo's name "
                    "must agree"]
        return []
    if not callable(target):
        return [f"is a {type(target).__name__}, not callable; it must be a function (**options) -> Corpus or a "
                "CorpusInfo"]
    return []


def _adapt(entry: Entry[CorpusInfo], target: Any) -> CorpusInfo:
    """The plugin's description, with its origin, and a loader that refuses anything but a :class:`Corpus`."""
    if entry.origin == BUILT_IN:
        return target
    if isinstance(target, CorpusInfo):
        return replace(target, origin=entry.origin, loader=_checked(entry.name, target.loader))
    return CorpusInfo(entry.name, f"plugin {entry.target}", _checked(entry.name, target), origin=entry.origin)


def _checked(name: str, loader: Callable[..., Corpus]) -> Callable[..., Corpus]:
    """``loader``, refusing anything it returns that is not a :class:`Corpus` (a plugin bug, named as such)."""

    def load(**options: object) -> Corpus:
        corpus = loader(**options)
        if not isinstance(corpus, Corpus):
            raise CorpusError(f"corpus plugin {name!r} returned {type(corpus).__name__}, expected tasks.corpora.Corpus")
        return corpus

    return load


def _builtins() -> dict[str, Entry[CorpusInfo]]:
    """The catalogue's corpora, each read from :data:`~tasks.corpora.catalogue.BUILTIN_CORPORA` when it is
    loaded (never a copy: the table is where a description lives)."""
    import tasks.corpora.catalogue as catalogue

    return {name: Entry(name, BUILT_IN, f"tasks.corpora.catalogue:BUILTIN_CORPORA[{name!r}]",
                        loader=lambda n=name: catalogue.BUILTIN_CORPORA[n], cache=False)
            for name in catalogue.BUILTIN_CORPORA}


CORPORA: Registry[CorpusInfo] = Registry("corpus", ENTRY_POINT_GROUP, builtins=_builtins, check=_check, adapt=_adapt,
                                         error=CorpusError, plural="corpora")
