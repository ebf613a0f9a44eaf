"""Old import paths kept working, with a ``DeprecationWarning`` that names the new one.

The plugin API promises stable import paths; when a name moves, its old home keeps it for a while.
:func:`moved` builds a package's module-level ``__getattr__`` (PEP 562), so the old name is looked
up (and its new module imported, torch and all) only when someone asks for it: importing the
package for its torch-free ``config`` submodule stays cheap and silent.
"""
from __future__ import annotations

import importlib
import warnings
from typing import Any, Callable


def moved(package: str, names: dict[str, str]) -> Callable[[str], Any]:
    """``__getattr__`` for ``package`` serving ``names``: old name → ``"new.module:attribute"``."""

    def __getattr__(name: str) -> Any:
        target = names.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, _, attr = target.partition(":")
        new = f"{module}.{attr}" if attr == name else f"{module}.{attr} (formerly {name})"
        warnings.warn(f"{package}.{name} is deprecated; use {new}: `from {module} import {attr}`",
                      DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(module), attr)

    return __getattr__

