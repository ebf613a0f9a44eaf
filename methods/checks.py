"""Hyperparameter checks at construction, so a bad ``--set`` fails with the value and the valid range.

A NaN twenty minutes into training is a far worse error message than this.
"""
from __future__ import annotations

from typing import Any

from methods.errors import MethodError


def require_range(method: str, config: Any, name: str, low: float | None = None, high: float | None = None, *,
                  low_open: bool = False, high_open: bool = False) -> None:
    value = getattr(config, name)
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        lo = "" if low is None else f"{'>' if low_open else '≥'} {low}"
        hi = "" if high is None else f"{'<' if high_open else '≤'} {high}"
        raise MethodError(f"{method}: {name}={value!r} is out of range; it must be {' and '.join(p for p in (lo, hi) if p)} "
                          f"(e.g. --set {method}.{name}=<value>)")


def require_sizes(method: str, config: Any) -> None:
    for name in ("embed_dim", "hidden_dim", "latent_dim"):
        require_range(method, config, name, 1)
