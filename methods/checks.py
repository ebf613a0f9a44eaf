"""Deprecated: construction-time range checks of a method's hyperparameters.

Ranges are now declared on the Config's fields (``latent_dim: int = param(32, ge=1)``, from
:mod:`sparsebench.params`) and checked for built-ins and plugins alike, before any worker starts
(``sparsebench.params.check_config``).  These two helpers keep a plugin written against the old API
working, with the message and exception (:class:`methods.errors.MethodError`) they always had.
"""
from __future__ import annotations

import warnings
from typing import Any

from methods.errors import MethodError
from sparsebench.params import Range

warnings.warn("methods.checks is deprecated; declare ranges on the Config's fields with sparsebench.params.param"
              "(..., ge=, gt=, le=, lt=) and check them with sparsebench.params.check_config",
              DeprecationWarning, stacklevel=2)


def require_range(method: str, config: Any, name: str, low: float | None = None, high: float | None = None, *,
                  low_open: bool = False, high_open: bool = False) -> None:
    """Raise :class:`MethodError` if ``config.<name>`` is outside [low, high] (open ends on request)."""
    value = getattr(config, name)
    rng = Range(ge=None if low_open else low, gt=low if low_open else None,
                le=None if high_open else high, lt=high if high_open else None)
    why = rng.problem(value)
    if why is not None:
        raise MethodError(f"{method}: {name}={value!r} is out of range; it must be {why} "
                          f"(e.g. --set {method}.{name}=<value>)")


def require_sizes(method: str, config: Any) -> None:
    """``embed_dim``, ``hidden_dim`` and ``latent_dim`` are at least 1."""
    for name in ("embed_dim", "hidden_dim", "latent_dim"):
        require_range(method, config, name, 1)
