"""``--config experiment.toml``: the same choices as the command line, in a file kept with a paper.

Keys: ``methods``, ``corpora`` (lists), ``seeds`` (count or list), ``preset``, ``train_split``,
``sweep`` (true: every method runs its declared sweep, as ``--sweep``), ``frontier_seeds`` (a list: those
seeds for the points on a frontier only, as ``--frontier-seeds``; :mod:`bench.run.frontier_seeds`), and the tables ``[set]``
(key = value) and ``[grid]`` (key = [values]).  Command-line options given
explicitly win over the file; ``--set``/``--grid`` entries are added to the file's.
"""
from __future__ import annotations

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.config.presets import DEFAULT_PRESET
from bench.errors import UserError
from bench.config.variants import Variant
from sparsebench.hints import did_you_mean

KEYS = ("methods", "corpora", "seeds", "preset", "train_split", "sweep", "frontier_seeds", "set", "grid", "variants")


@dataclass
class Experiment:
    methods: list[str] = field(default_factory=lambda: ["vae"])
    corpora: list[str] = field(default_factory=lambda: ["synthetic"])
    seeds: list[int] = field(default_factory=lambda: [0])
    preset: str = DEFAULT_PRESET
    train_split: str = "train"
    sweep: bool = False
    frontier_seeds: list[int] = field(default_factory=list)
    sets: dict[str, str] = field(default_factory=dict)
    grid: dict[str, list[str]] = field(default_factory=dict)
    variants: dict[str, Variant] = field(default_factory=dict)


def _scalar(v: Any) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, (int, float, str)):
        return str(v)
    raise TypeError


def load_experiment(path: Path) -> Experiment:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"--config {path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"--config {path}: invalid TOML: {exc}") from None
    for key in data:
        if key not in KEYS:
            raise UserError(f"{path}: unknown key {key!r}{did_you_mean(key, KEYS)}; valid keys: {', '.join(KEYS)}")
    exp = Experiment()
    try:
        for key in ("methods", "corpora"):
            if key in data:
                if not isinstance(data[key], list) or not all(isinstance(x, str) for x in data[key]):
                    raise TypeError
                setattr(exp, key, list(data[key]))
        if "seeds" in data:
            s = data["seeds"]
            exp.seeds = list(range(s)) if isinstance(s, int) else [int(x) for x in s]
        for key in ("preset", "train_split"):
            if key in data:
                setattr(exp, key, str(data[key]))
        if "sweep" in data:
            if not isinstance(data["sweep"], bool):
                raise TypeError
            exp.sweep = data["sweep"]
        if "frontier_seeds" in data:
            fs = data["frontier_seeds"]
            if not isinstance(fs, list) or not all(isinstance(x, int) and not isinstance(x, bool) for x in fs):
                raise TypeError
            exp.frontier_seeds = list(fs)
        exp.sets = {k: _scalar(v) for k, v in data.get("set", {}).items()}
        exp.grid = {k: [_scalar(x) for x in (v if isinstance(v, list) else [v])] for k, v in data.get("grid", {}).items()}
        for name, table in data.get("variants", {}).items():
            settings = {k: _scalar(v) for k, v in table.items() if k not in ("method", "description")}
            exp.variants[name] = Variant(name, str(table["method"]), settings, str(table.get("description", "")))
    except (TypeError, ValueError, KeyError, AttributeError):
        raise UserError(f"{path}: bad value type; expected methods/corpora = [\"...\"], seeds = 3 or [0, 1], sweep = true, "
                        "frontier_seeds = [1, 2], "
                        "[set] key = value, [grid] key = [v1, v2], [variants.NAME] method = \"vae\", key = value") from None
    return exp
