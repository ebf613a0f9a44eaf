"""The method registry: built-ins declared on their Configs, third-party methods by entry point, all lazy.

One instance of the generic registry (:mod:`sparsebench.registry`, the same mechanism and clash rule as
metrics, corpora and executors).  An entry knows where its class lives (``module:Class``) and, for
built-ins, its identity and config, so listing methods never imports torch; the class is imported and
checked against the interface (:func:`methods.base.interface_problems`) the first time it is needed.
Plugins are found through the entry-point group ``sparsebench.methods`` (name = method name, value =
``module:Class``); a plugin may not shadow a built-in, and two plugins with one name are both unusable.
"""
from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass
from typing import Any

from methods.declare import MethodIdentity, identity_of
from methods.errors import MethodError
from sparsebench.registry import BUILT_IN, Entry, Registry

ENTRY_POINT_GROUP = "sparsebench.methods"

#: Built-in methods: each is a package ``methods.<name>`` whose ``config`` module declares it.
BUILTIN_METHODS = ("vae", "ae", "hsvae", "mat", "ton", "sparsemax", "topk", "batchtopk", "csr")


@dataclass
class MethodEntry(Entry[type]):
    """Everything the harness knows about a method before importing its model."""

    config: type | None = None  # the Config dataclass; None for a plugin until loaded
    identity: MethodIdentity | None = None  # None for a plugin until loaded

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
        cls = super().load()
        self.config = cls.Config
        self.identity = cls.identity()
        return cls

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
    return MethodEntry(name, BUILT_IN, identity.model, config=configs[0], identity=identity)


def _check(name: str, cls: Any) -> list[str]:
    from methods.base import interface_problems

    problems = interface_problems(cls)
    if problems:
        return [f"class {cls!r} " + "; ".join(problems)]
    if cls.name != name:
        return [f"its class {cls.__qualname__} is named {cls.name!r}; the entry-point name and the class's `name` "
                "must agree"]
    return []


METHODS: Registry[type] = Registry("method", ENTRY_POINT_GROUP, builtins=lambda: {n: _builtin(n) for n in BUILTIN_METHODS},
                                   check=_check, error=MethodError, entry_type=MethodEntry)


def builtin_methods() -> dict[str, MethodEntry]:
    return METHODS.builtins()  # type: ignore[return-value]


def all_methods() -> dict[str, MethodEntry]:
    """Built-ins, in-process registrations and installed plugins, by name; never raises for a bad plugin."""
    return METHODS.entries()  # type: ignore[return-value]


def get_method(name: str) -> MethodEntry:
    """The entry for ``name``; unknown names and unusable plugins are a :class:`MethodError`."""
    return METHODS.get(name)  # type: ignore[return-value]


def register_in_process(name: str, target: str) -> MethodEntry:
    """Register ``module:Class`` under ``name`` without an installed distribution (tests, notebooks)."""
    return METHODS.register(name, target)  # type: ignore[return-value]


def unregister_in_process(name: str) -> None:
    METHODS.unregister(name)
