"""Sweeps: ``--grid key=v1,v2`` and ``[grid]`` tables become one override set per point, per method.

A grid key applies like a ``--set`` key: unscoped keys to every method that has the field (and to
training fields), ``method.key`` to that method only.  Each method sweeps the Cartesian product of
the keys that apply to it, so ``hsvae.alpha`` never multiplies the cells of ``vae``.
"""
from __future__ import annotations

import dataclasses
import itertools
from typing import Iterable

from bench.config import EvalConfig, TrainConfig, field_types, parse_value
from bench.errors import UserError
from sparsebench.params import Range, field_range

_NO_RANGE = Range()


def parse_grid(items: Iterable[str]) -> dict[str, list[str]]:
    grid: dict[str, list[str]] = {}
    for item in items:
        key, sep, values = item.partition("=")
        vals = [v.strip() for v in values.split(",") if v.strip()]
        if not sep or not key.strip() or not vals:
            raise UserError(f"malformed --grid {item!r}: expected KEY=V1,V2,... e.g. --grid hsvae.alpha=1,4")
        grid[key.strip()] = list(dict.fromkeys(vals))
    return grid


def points_for(method: str, config_cls: type, grid: dict[str, list[str]]) -> list[tuple[tuple[str, str], ...]]:
    """Override tuples of every grid point that applies to ``method`` (one empty tuple if none)."""
    fields = set(field_types(config_cls)) | set(field_types(TrainConfig)) | set(field_types(EvalConfig))
    keys = []
    for key in sorted(grid):
        scope, dot, name = key.rpartition(".")
        if (dot and scope == method) or (not dot and name in fields):
            keys.append(key)
    return [tuple(zip(keys, combo)) for combo in itertools.product(*(grid[k] for k in keys))]


def merge(base: tuple[tuple[str, str], ...], point: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    out = dict(base)
    out.update(point)
    return tuple(sorted(out.items()))


def check_values(grid: dict[str, list[str]], method_configs: dict[str, type]) -> None:
    """Every grid value parses as its field's type and lies in the field's declared range.

    Checked here, per value, so that the message names ``--grid`` and the value list it came from;
    once merged into a cell's overrides a value would be reported as if it were a ``--set``.
    """
    shared = (TrainConfig, EvalConfig)
    for key, values in grid.items():
        scope, dot, name = key.rpartition(".")
        owners = [cls for cls in shared if not dot and name in field_types(cls)] or [
            cls for m, cls in method_configs.items() if (not dot or scope == m) and name in field_types(cls)]
        for cls in owners:
            typ = field_types(cls)[name]
            fld = next(f for f in dataclasses.fields(cls) if f.name == name)
            for raw in values:
                value = parse_value(raw, typ, f"--grid {key}")
                why = (field_range(fld) or _NO_RANGE).problem(value)
                if why is not None:
                    raise UserError(f"invalid value {raw!r} in --grid {key}={','.join(values)}: "
                                    f"{name} must be {why}")
