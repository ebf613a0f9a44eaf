"""One plugin mechanism for methods, metrics, corpora and executors: a small generic registry.

Modelled on lm-evaluation-harness's ``lm_eval/api/registry.py``: each :class:`Registry` holds the
built-ins (declared in the package, known without importing their code), the plugins an installed
distribution declares under its entry-point group (``sparsebench.methods``, ``sparsebench.metrics``,
``sparsebench.corpora``, ``sparsebench.executors``) and what a test or notebook registers in-process.
Entries are lazy: a plugin's module is imported the first time its entry is loaded, and what it
gives is checked then (the registry's ``check``, e.g. "a subclass of SparseEncoder").

One bad plugin never breaks the harness, and one rule settles clashes, the same for every kind:

- a plugin may not shadow a built-in: the built-in keeps its name and the plugin is left out, with a
  message naming both (:meth:`Registry.problems`; ``bench list`` shows it);
- two plugins with one name are both unusable: asking for the name is an error naming both;
- a plugin that fails to import, or gives something that fails the check, is refused when it is
  asked for (and listed with its error), never when another name is used.

Unknown names get a "did you mean" suggestion.  Nothing here imports a plugin or reads entry-point
metadata until a registry is asked for its entries.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Callable, Generic, Iterable, Mapping, TypeVar

from sparsebench.hints import did_you_mean

T = TypeVar("T")

BUILT_IN = "built-in"
IN_PROCESS = "registered in-process"


class RegistryError(Exception):
    """An unknown, clashing or unusable registry name (a user error: one line, exit code 2)."""


def origin_of(ep: metadata.EntryPoint) -> str:
    """``plugin <distribution> <version>``: where an entry point comes from, as every message names it."""
    dist = getattr(ep, "dist", None)
    return f"plugin {dist.name} {dist.version}" if dist is not None else f"plugin {ep.value}"


def import_target(target: str) -> Any:
    """The object ``"package.module:attribute"`` names (``"package.module"`` alone: the module)."""
    module, _, attr = target.partition(":")
    obj = importlib.import_module(module)
    for part in attr.split(".") if attr else ():
        obj = getattr(obj, part)
    return obj


@dataclass
class Entry(Generic[T]):
    """One name of a registry: where it comes from, and (lazily) what it is."""

    name: str
    origin: str
    #: where the value lives, ``module:attribute`` (for messages; "" for a value given directly)
    target: str = ""
    #: why the entry cannot be used (a clash, or a failed check); raised when it is asked for
    error: str | None = None
    loader: Callable[[], Any] | None = field(default=None, repr=False)
    value: Any = field(default=None, repr=False)
    registry: "Registry[T] | None" = field(default=None, repr=False, compare=False)
    #: False: look the value up again at every load (a built-in table a test may swap an entry of)
    cache: bool = True

    @property
    def is_plugin(self) -> bool:
        return self.origin not in (BUILT_IN, IN_PROCESS)

    def load(self) -> T:
        """The entry's value, imported and checked the first time; a :class:`RegistryError` (or the
        registry's own error type) that names the plugin when it cannot be used."""
        registry = self.registry
        error = registry.error if registry is not None else RegistryError
        if self.error:
            raise error(self.error)
        if self.value is None or not self.cache:
            kind = registry.kind if registry is not None else "entry"
            try:
                raw = self.loader() if self.loader is not None else import_target(self.target)
            except Exception as exc:  # a broken plugin must not look like a bug in sparsebench
                self.error = (f"{kind} {self.name!r} ({self.origin}, {self.target}) could not be loaded: "
                              f"{type(exc).__name__}: {exc}")
                raise error(self.error) from exc
            problems = registry.check(self.name, raw) if registry is not None else []
            if problems:
                self.error = f"{kind} {self.name!r} ({self.origin}, {self.target}): " + "; ".join(problems)
                raise error(self.error)
            self.value = registry.adapt(self, raw) if registry is not None else raw
        return self.value


class Registry(Generic[T]):
    """Built-ins, in-process registrations and installed plugins of one kind, under one clash rule.

    ``builtins`` is called once, when the entries are first asked for, and returns the built-in
    entries by name (values given directly, or lazy targets).  ``check(name, value)`` returns what
    keeps a loaded value from being usable (empty when it is fine); ``adapt(entry, value)`` turns it
    into what the registry hands out (e.g. a description with the plugin's origin filled in).
    """

    def __init__(self, kind: str, group: str, *, builtins: Callable[[], Mapping[str, Entry[T]]] = dict,
                 check: Callable[[str, Any], list[str]] = lambda name, value: [],
                 adapt: Callable[[Entry[T], Any], T] = lambda entry, value: value,
                 error: type[Exception] = RegistryError, plural: str | None = None,
                 entry_type: type[Entry[Any]] = Entry,
                 unknown: Callable[[str, list[str]], str] | None = None) -> None:
        self.kind, self.group, self.plural, self.entry_type = kind, group, plural or f"{kind}s", entry_type
        self._unknown = unknown
        self._make_builtins, self.check, self.adapt, self.error = builtins, check, adapt, error
        self._builtins: dict[str, Entry[T]] | None = None
        self._in_process: dict[str, Entry[T]] = {}
        self._made: dict[tuple[str, tuple[str, ...], tuple[str, ...]], Entry[T]] = {}

    # -- entries ---------------------------------------------------------------------------------
    def builtins(self) -> dict[str, Entry[T]]:
        if self._builtins is None:
            self._builtins = {}
            for name, entry in self._make_builtins().items():
                entry.registry = self
                self._builtins[name] = entry
        return self._builtins

    def _discover(self) -> tuple[dict[str, Entry[T]], list[tuple[str, str]]]:
        """Installed plugins by name (nothing imported), and the messages of those left out for shadowing.

        Entry points are read again at every call (a plugin installed while the process runs, or by a
        test, is seen), but an entry already made for the same claim is reused, with what it loaded."""
        try:
            eps = list(metadata.entry_points(group=self.group))
        except Exception:  # pragma: no cover - broken site-packages metadata must not break the CLI
            eps = []
        claims: dict[str, list[metadata.EntryPoint]] = {}
        for ep in eps:
            claims.setdefault(ep.name, []).append(ep)
        found: dict[str, Entry[T]] = {}
        shadowing: list[tuple[str, str]] = []
        builtins = self.builtins()
        for name, group in claims.items():
            origins = [origin_of(ep) for ep in group]
            if name in builtins:
                shadowing.append((name, f"{self.kind} plugin {name!r} ({'; '.join(origins)}) is left out: a plugin "
                                        f"may not shadow the built-in {self.kind} {name!r}; rename its entry point"))
                continue
            error = None
            if len(group) > 1:
                error = (f"{self.kind} {name!r} is registered by more than one plugin ({'; '.join(origins)}): "
                         "both are unusable; uninstall one of them or rename its entry point")
            key = (name, tuple(origins), tuple(ep.value for ep in group))
            if key not in self._made:
                self._made[key] = self.entry_type(name, " and ".join(origins), group[0].value, error, group[0].load,
                                                  registry=self)
            found[name] = self._made[key]
        return found, shadowing

    def entries(self) -> dict[str, Entry[T]]:
        """Every name: built-ins, in-process registrations, then installed plugins; never raises for a bad one."""
        return {**self.builtins(), **self._in_process, **self._discover()[0]}

    def names(self) -> list[str]:
        return sorted(self.entries())

    def get(self, name: str) -> Entry[T]:
        """The entry for ``name``; an unknown name (with a suggestion) or an unusable one is an error."""
        entries = self.entries()
        if name not in entries:
            raise self.error(self.unknown(name, entries))
        entry = entries[name]
        if entry.error:
            raise self.error(entry.error)
        return entry

    def load(self, name: str) -> T:
        return self.get(name).load()

    def unknown(self, name: str, known: Iterable[str]) -> str:
        known = sorted(known)
        if self._unknown is not None:
            return self._unknown(name, known)
        return (f"unknown {self.kind} {name!r}{did_you_mean(name, known)}; valid {self.plural}: {', '.join(known)} "
                f"(plugins register under the entry-point group {self.group!r})")

    def problems(self) -> list[tuple[str, str]]:
        """(name, message) for every plugin that cannot be used: left out for shadowing a built-in, clashing
        with another plugin, or (once it was loaded) broken.  ``bench list`` shows them."""
        plugins, shadowing = self._discover()
        return list(shadowing) + [(name, entry.error) for name, entry in plugins.items() if entry.error]

    # -- in-process ------------------------------------------------------------------------------
    def register(self, name: str, target: str | Any) -> Entry[T]:
        """Register ``module:attribute`` (or a value) under ``name`` without an installed distribution
        (tests, notebooks).  A built-in's name is refused."""
        if name in self.builtins():
            raise self.error(f"{self.kind} {name!r} is a built-in; choose another name")
        entry: Entry[T] = (self.entry_type(name, IN_PROCESS, target, registry=self) if isinstance(target, str)
                           else self.entry_type(name, IN_PROCESS, "", loader=lambda: target, registry=self))
        self._in_process[name] = entry
        return entry

    def unregister(self, name: str) -> None:
        self._in_process.pop(name, None)

    def forget_plugins(self) -> None:
        """Forget what plugins loaded (tests that reinstall a plugin at run time)."""
        self._made.clear()


def builtin(name: str, value: Any = None, *, target: str = "") -> Entry[Any]:
    """A built-in entry: a value given directly, or a lazy ``module:attribute`` target."""
    return Entry(name, BUILT_IN, target, value=value)
