"""Corpus plugins: the entry-point group ``sparsebench.corpora``, read without importing anything.

An entry point names either a :class:`~tasks.corpora.info.CorpusInfo` (the same description the
built-ins declare: files, sources, lengths, shape) or, as before, a plain loader
``(**options) -> Corpus``, which gets a minimal description.  The method registry's rules hold here
too: one bad plugin never breaks the harness.  A plugin that fails to import is listed with its
error and refused only when it is used; a name claimed by two sources (a built-in and a plugin, or
two plugins) is refused, naming both, only when that name is asked for.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from importlib import metadata
from typing import Callable, Mapping

from tasks.corpora.base import Corpus
from tasks.corpora.info import CorpusInfo
from tasks.errors import CorpusError

ENTRY_POINT_GROUP = "sparsebench.corpora"


@dataclass(frozen=True)
class PluginClaim:
    """A plugin's entry point before it is imported; :meth:`resolve` gives its description or its error."""

    name: str
    entry_point: metadata.EntryPoint
    origin: str  # "plugin <distribution> <version>", or every claimant's origin when clashing
    #: Why the corpus cannot be used (a clash); raised by :meth:`resolve`, never at discovery.
    error: str | None = None

    def resolve(self) -> CorpusInfo:
        """Import the plugin and return its description; a clash or a broken plugin is a :class:`CorpusError`."""
        if self.error:
            raise CorpusError(self.error)
        ep = self.entry_point
        where = f"corpus plugin {self.name!r} ({self.origin}: {ep.value})"
        try:
            target = ep.load()
        except Exception as exc:  # a broken plugin is the user's to fix: say which one
            raise CorpusError(f"{where} failed to import: {type(exc).__name__}: {exc}; reinstall or fix the plugin, "
                              "or uninstall it") from None
        if isinstance(target, CorpusInfo):
            if target.name != self.name:
                raise CorpusError(f"{where} describes a corpus named {target.name!r}; the entry-point name and the "
                                  "CorpusInfo's name must agree")
            return replace(target, origin=self.origin, loader=_checked(self.name, target.loader))
        if not callable(target):
            raise CorpusError(f"{where} is a {type(target).__name__}, not callable; it must be a function "
                              "(**options) -> Corpus or a CorpusInfo")
        return CorpusInfo(self.name, f"plugin {ep.value}", _checked(self.name, target), origin=self.origin)


def _checked(name: str, loader: Callable[..., Corpus]) -> Callable[..., Corpus]:
    """``loader``, refusing anything it returns that is not a :class:`Corpus` (a plugin bug, named as such)."""

    def load(**options: object) -> Corpus:
        corpus = loader(**options)
        if not isinstance(corpus, Corpus):
            raise CorpusError(f"corpus plugin {name!r} returned {type(corpus).__name__}, expected tasks.corpora.Corpus")
        return corpus

    return load


def _origin(ep: metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return f"plugin {dist.name} {dist.version}" if dist is not None else f"plugin {ep.value}"


def discover(taken: Mapping[str, CorpusInfo]) -> dict[str, PluginClaim]:
    """Installed plugins by name, nothing imported; a name claimed twice becomes a claim whose error says by whom."""
    try:
        eps = list(metadata.entry_points(group=ENTRY_POINT_GROUP))
    except Exception:  # pragma: no cover - broken site-packages metadata must not break the CLI
        return {}
    claims: dict[str, list[metadata.EntryPoint]] = {}
    for ep in eps:
        claims.setdefault(ep.name, []).append(ep)
    found: dict[str, PluginClaim] = {}
    for name, group in claims.items():
        origins = [_origin(ep) for ep in group]
        if name in taken:
            origins.insert(0, taken[name].origin)
        error = None
        if len(origins) > 1:
            error = (f"corpus {name!r} is registered by more than one source ({'; '.join(origins)}); uninstall one "
                     "of them or rename the entry point in its pyproject.toml")
        found[name] = PluginClaim(name, group[0], " and ".join(origins), error)
    return found
