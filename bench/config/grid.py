"""Sweeps: ``--grid key=v1,v2`` and ``[grid]`` tables become one override set per point, per method;
``--sweep`` expands each method into the points its Config declares (:mod:`methods.sweeps`).

A grid key applies like a ``--set`` key: unscoped keys to every method that has the field (and to
training fields), ``method.key`` to that method only.  Each method sweeps the Cartesian product of
the keys that apply to it, so ``hsvae.alpha`` never multiplies the cells of ``vae``.  A declared
sweep's points are scoped overrides of their method, applied after the preset (so a point's ``k``
wins over a preset's) and combined with every grid point; a ``--set`` or ``--grid`` key that the
sweep itself sets is refused.
"""
from __future__ import annotations

import dataclasses
import itertools
import math
from typing import Iterable

from bench.config.resolve import TrainConfig, field_types, parse_value
from tasks.scoring import ScoringConfig
from bench.errors import UserError
from methods.sweeps import EQUAL_BUDGET, sweep_of
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
    keys = grid_keys_for(method, config_cls, grid)
    return [tuple(zip(keys, combo)) for combo in itertools.product(*(grid[k] for k in keys))]


def grid_keys_for(method: str, config_cls: type, grid: dict[str, list[str]]) -> list[str]:
    """The ``--grid`` keys that apply to ``method``: its own (``hsvae.alpha``) and the shared fields it has."""
    fields = set(field_types(config_cls)) | set(field_types(TrainConfig)) | set(field_types(ScoringConfig))
    keys = []
    for key in sorted(grid):
        scope, dot, name = key.rpartition(".")
        if (dot and scope == method) or (not dot and name in fields):
            keys.append(key)
    return keys


def count_points(method: str, config_cls: type, grid: dict[str, list[str]]) -> int:
    """How many points :func:`points_for` gives, counted without making them (a 10,000-point grid is a product)."""
    return math.prod(len(grid[k]) for k in grid_keys_for(method, config_cls, grid))


def merge(base: tuple[tuple[str, str], ...], point: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    out = dict(base)
    out.update(point)
    return tuple(sorted(out.items()))


def check_values(grid: dict[str, list[str]], method_configs: dict[str, type]) -> None:
    """Every grid value parses as its field's type and lies in the field's declared range.

    Checked here, per value, so that the message names ``--grid`` and the value list it came from;
    once merged into a cell's overrides a value would be reported as if it were a ``--set``.
    """
    shared = (TrainConfig, ScoringConfig)
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


def sweep_points(method: str, config_cls: type) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    """``(point name, overrides scoped to method)`` for each point of the method's declared sweep.

    A method that declares none runs as one point (its defaults, no overrides).
    """
    return [(p.name, p.overrides(method)) for p in sweep_of(config_cls).points]


def check_sweep_conflicts(method: str, config_cls: type, overrides: tuple[tuple[str, str], ...],
                          grid: dict[str, list[str]]) -> None:
    """A ``--set``/``--grid``/``[set]`` key that a method's sweep sets is an error, never a silent winner.

    Why: a sweep is an equal budget of declared points; overriding one of its keys would run the same
    setting at every point (or multiply the points), and the frontier would no longer be the declared one.
    """
    swept = set(sweep_of(config_cls).keys)
    for key in [k for k, _ in overrides] + list(grid):
        scope, dot, name = key.rpartition(".")
        if name in swept and (not dot or scope == method):
            option = "--grid" if key in grid else "--set"
            raise UserError(f"{option} {key}: {name!r} is a key of {method}'s declared sweep (bench list methods); "
                            f"with --sweep set only keys the sweep leaves free, or drop --sweep to run {key} alone")


def budget_note(methods: Iterable[str]) -> str | None:
    """A line when the named methods' sweeps have unequal numbers of points (controls aside), else None."""
    from methods.registry import get_method

    counts = {}
    for m in methods:
        entry = get_method(m)
        counts[m] = sweep_of(entry.config if entry.config is not None else entry.load().Config)
    sizes = {m: len(sw.points) for m, sw in counts.items() if not sw.control}
    if len(set(sizes.values())) <= 1:
        return None
    parts = [f"{m} {n}" + ("" if counts[m].declared else " (declares no sweep: its defaults)")
             for m, n in sizes.items()]
    return ("note: the sweeps are not an equal budget (points: " + ", ".join(parts)
            + f"; built-in sweeps have {EQUAL_BUDGET})")


def point_name(method_config: dict, config_cls: type) -> str | None:
    """Which declared point of its method a resolved method config is (None: not one of them).

    Records carry no point label: a cell's identity is its resolved config, and the point is read
    back from it, so a cell reached by ``--sweep`` or by the same ``--set`` values is one point.
    """
    found = sweep_of(config_cls).point_for(method_config)
    return found.name if found is not None else None
