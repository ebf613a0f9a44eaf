"""The method registry: built-ins by decorator, third-party methods by entry point, all lazy.

Modelled on lm-evaluation-harness's registry: an entry knows where its class lives (``module:Class``)
and what its config looks like, so listing methods never imports torch; the class is imported and
checked against the interface the first time it is needed.  Plugins are found through the
entry-point group ``sparsebench.methods`` (name = method name, value = ``module:Class``).
"""
from __future__ import annotations

import dataclasses
import difflib
import importlib
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Callable

from methods.errors import MethodError

ENTRY_POINT_GROUP = "sparsebench.methods"


@dataclass
class MethodEntry:
    """Everything the harness knows about a method before importing it."""

    name: str
    target: str  # "package.module:Class"
    origin: str  # "built-in" or "plugin <distribution> <version>"
    description: str = ""
    config: type | None = None  # the Config dataclass; None for a plugin until loaded
    modes: tuple[str, ...] = ()
    default_mode: str = ""
    _cls: type | None = field(default=None, repr=False)

    def load(self) -> type:
        if self._cls is None:
            module_name, _, attr = self.target.partition(":")
            try:
                cls = getattr(importlib.import_module(module_name), attr)
            except Exception as exc:  # a broken plugin must not look like a bug in sparsebench
                raise MethodError(
                    f"method {self.name!r} ({self.origin}) could not be loaded from {self.target!r}: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            _check_class(self.name, cls, self.origin)
            self._cls = cls
            self.config = cls.Config
            self.modes = tuple(cls.modes)
            self.default_mode = cls.default_mode
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


def _check_class(name: str, cls: Any, origin: str) -> None:
    from methods.base import SparseEncoder  # torch only here, when a class is actually loaded

    problems = []
    if not (isinstance(cls, type) and issubclass(cls, SparseEncoder)):
        problems.append("is not a subclass of methods.base.SparseEncoder")
    else:
        if not dataclasses.is_dataclass(getattr(cls, "Config", None)):
            problems.append("has no `Config` dataclass")
        modes = tuple(getattr(cls, "modes", ()))
        if not modes:
            problems.append("declares no encode `modes`")
        elif getattr(cls, "default_mode", None) not in modes:
            problems.append(f"default_mode {getattr(cls, 'default_mode', None)!r} is not one of its modes {modes}")
    if problems:
        raise MethodError(f"method {name!r} ({origin}): class {cls!r} " + "; ".join(problems))


_BUILTINS: dict[str, MethodEntry] = {}
_IN_PROCESS: dict[str, MethodEntry] = {}


def register_method(name: str, target: str, *, modes: tuple[str, ...], default_mode: str,
                    description: str = "") -> Callable[[type], type]:
    """Class decorator for a built-in method's Config: registers the method without importing its model.

    ``target`` names the model class (``module:Class``); it is imported only when the method is built.
    """

    def deco(config_cls: type) -> type:
        if not dataclasses.is_dataclass(config_cls):
            raise TypeError(f"@register_method({name!r}) must decorate a dataclass")
        if name in _BUILTINS:
            raise ValueError(f"method {name!r} registered twice")
        _BUILTINS[name] = MethodEntry(name=name, target=target, origin="built-in", description=description,
                                      config=config_cls, modes=modes, default_mode=default_mode)
        return config_cls

    return deco


def _plugins() -> dict[str, MethodEntry]:
    found: dict[str, MethodEntry] = {}
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(ep, "dist", None)
        origin = f"plugin {dist.name} {dist.version}" if dist is not None else "plugin"
        if ep.name in _BUILTINS or ep.name in _IN_PROCESS or ep.name in found:
            raise MethodError(
                f"plugin method {ep.name!r} ({origin}) clashes with an existing method of that name; "
                "rename the entry point in the plugin's pyproject.toml"
            )
        found[ep.name] = MethodEntry(name=ep.name, target=ep.value, origin=origin)
    return found


def all_methods() -> dict[str, MethodEntry]:
    """Built-ins plus installed plugins, by name."""
    import methods.configs  # noqa: F401  (registers the built-ins)

    return {**_BUILTINS, **_IN_PROCESS, **_plugins()}


def get_method(name: str) -> MethodEntry:
    entries = all_methods()
    if name not in entries:
        close = difflib.get_close_matches(name, list(entries), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise MethodError(f"unknown method {name!r}{hint}; valid methods: {', '.join(sorted(entries))}")
    return entries[name]


def register_in_process(name: str, target: str) -> MethodEntry:
    """Register ``module:Class`` under ``name`` without an installed distribution (tests, notebooks)."""
    if name in _BUILTINS:
        raise MethodError(f"method {name!r} is a built-in; choose another name")
    entry = MethodEntry(name=name, target=target, origin="registered in-process")
    _IN_PROCESS[name] = entry
    return entry


def unregister_in_process(name: str) -> None:
    _IN_PROCESS.pop(name, None)
