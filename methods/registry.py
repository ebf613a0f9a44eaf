"""The method registry: built-ins declared on their Configs, third-party methods by entry point, all lazy.

Modelled on lm-evaluation-harness's registry: an entry knows where its class lives (``module:Class``)
and, for built-ins, its identity and config, so listing methods never imports torch; the class is
imported and checked against the interface the first time it is needed.  Plugins are found through
the entry-point group ``sparsebench.methods`` (name = method name, value = ``module:Class``).

One bad plugin never breaks the harness: an entry point that fails to import is listed with its
error and refused only when that method is asked for; two distributions registering one name are
reported, naming both, only when that name is asked for.
"""
from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from methods.declare import MethodIdentity, identity_of
from methods.errors import MethodError

ENTRY_POINT_GROUP = "sparsebench.methods"

#: Built-in methods: each is a package ``methods.<name>`` whose ``config`` module declares it.
BUILTIN_METHODS = ("vae", "ae", "hsvae", "mat", "ton", "sparsemax", "topk", "batchtopk", "csr")


@dataclass
class MethodEntry:
    """Everything the harness knows about a method before importing its model."""

    name: str
    target: str  # "package.module:Class"
    origin: str  # "built-in", "plugin <distribution> <version>", "registered in-process"
    config: type | None = None  # the Config dataclass; None for a plugin until loaded
    identity: MethodIdentity | None = None  # None for a plugin until loaded
    #: Why the method cannot be used (a broken or clashing plugin); it is refused when asked for.
    error: str | None = None
    _cls: type | None = field(default=None, repr=False)

    @property
    def description(self) -> str:
        return self.identity.description if self.identity else ""

    @property
    def modes(self) -> tuple[str, ...]:
        return self.identity.modes if self.identity else ()

    @property
    def default_mode(self) -> str:
        return self.identity.default_mode if self.identity else ""

    def load(self) -> type:
        if self.error:
            raise MethodError(self.error)
        if self._cls is None:
            module_name, _, attr = self.target.partition(":")
            try:
                cls = getattr(importlib.import_module(module_name), attr)
            except Exception as exc:  # a broken plugin must not look like a bug in sparsebench
                raise MethodError(
                    f"method {self.name!r} ({self.origin}) could not be loaded from {self.target!r}: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            from methods.base import interface_problems

            problems = interface_problems(cls)
            if problems:
                raise MethodError(f"method {self.name!r} ({self.origin}): class {cls!r} " + "; ".join(problems))
            if cls.name != self.name:
                raise MethodError(f"method {self.name!r} ({self.origin}): its class {cls.__qualname__} is named "
                                  f"{cls.name!r}; the entry-point name and the class's `name` must agree")
            self._cls = cls
            self.config = cls.Config
            self.identity = cls.identity()
        return self._cls

    def hyperparameters(self) -> dict[str, Any]:
        config = self.config if self.config is not None else self.load().Config
        return {f.name: _default(f) for f in dataclasses.fields(config)}


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        return f.default_factory()  # type: ignore[misc]
    return None


def _builtin(name: str) -> MethodEntry:
    module = importlib.import_module(f"methods.{name}.config")
    configs = [v for v in vars(module).values()
               if isinstance(v, type) and getattr(identity_of(v), "name", None) == name]
    if len(configs) != 1:
        raise RuntimeError(f"methods.{name}.config must declare method {name!r} exactly once")
    identity = identity_of(configs[0])
    assert identity is not None
    return MethodEntry(name, identity.model, "built-in", configs[0], identity)


_BUILTINS: dict[str, MethodEntry] = {}
_IN_PROCESS: dict[str, MethodEntry] = {}


def builtin_methods() -> dict[str, MethodEntry]:
    if not _BUILTINS:
        _BUILTINS.update({n: _builtin(n) for n in BUILTIN_METHODS})
    return _BUILTINS


def _origin(ep: metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return f"plugin {dist.name} {dist.version}" if dist is not None else f"plugin {ep.value}"


def _plugins(taken: dict[str, MethodEntry]) -> dict[str, MethodEntry]:
    """Installed plugins by name; clashes become entries that explain themselves when asked for."""
    found: dict[str, MethodEntry] = {}
    try:
        eps = list(metadata.entry_points(group=ENTRY_POINT_GROUP))
    except Exception:  # pragma: no cover - broken site-packages metadata must not break the CLI
        return found
    claims: dict[str, list[metadata.EntryPoint]] = {}
    for ep in eps:
        claims.setdefault(ep.name, []).append(ep)
    for name, group in claims.items():
        origins = [_origin(ep) for ep in group]
        if name in taken:
            origins.insert(0, taken[name].origin)
        if len(origins) > 1:
            found[name] = MethodEntry(name, group[0].value, " and ".join(origins), error=(
                f"method {name!r} is registered by more than one source ({'; '.join(origins)}); uninstall one "
                "of them or rename the entry point in its pyproject.toml"))
        else:
            found[name] = MethodEntry(name, group[0].value, origins[0])
    return found


def all_methods() -> dict[str, MethodEntry]:
    """Built-ins, in-process registrations and installed plugins, by name; never raises for a bad plugin."""
    known = {**builtin_methods(), **_IN_PROCESS}
    return {**known, **_plugins(known)}


def get_method(name: str) -> MethodEntry:
    """The entry for ``name``; unknown names and unusable plugins are a :class:`MethodError`."""
    from sparsebench.hints import did_you_mean

    entries = all_methods()
    if name not in entries:
        raise MethodError(f"unknown method {name!r}{did_you_mean(name, entries)}; valid methods: "
                          f"{', '.join(sorted(entries))}")
    entry = entries[name]
    if entry.error:
        raise MethodError(entry.error)
    return entry


def register_in_process(name: str, target: str) -> MethodEntry:
    """Register ``module:Class`` under ``name`` without an installed distribution (tests, notebooks)."""
    if name in builtin_methods():
        raise MethodError(f"method {name!r} is a built-in; choose another name")
    entry = MethodEntry(name=name, target=target, origin="registered in-process")
    _IN_PROCESS[name] = entry
    return entry


def unregister_in_process(name: str) -> None:
    _IN_PROCESS.pop(name, None)
