"""What one cell of the grid is, and its identity: a hash of the fully resolved configuration.

Two runs that would train the same model on the same data get the same id, whatever preset or
``--set`` spelling produced it, so the store can reuse finished cells.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePath
from typing import Any

from bench.config import resolve
from methods.registry import get_method

#: Bump when a change to the harness changes what a cell computes, so old records are not reused.
PROTOCOL_VERSION = 3


def safe_name(name: str) -> str:
    """A registry name as is; a user corpus path as its file stem plus a short hash of the path."""
    if re.fullmatch(r"[A-Za-z0-9_.+-]+", name) and not name.startswith("."):
        return name
    stem = re.sub(r"[^A-Za-z0-9_+-]+", "_", PurePath(name).stem).strip("_") or "corpus"
    return f"{stem}~{hashlib.sha256(name.encode()).hexdigest()[:8]}"


@dataclass(frozen=True)
class RunSpec:
    method: str
    corpus: str
    seed: int = 0
    preset: str = "smoke"
    overrides: tuple[tuple[str, str], ...] = ()
    train_split: str = "train"

    @cached_property
    def config(self) -> dict[str, Any]:
        """The canonical configuration: everything that determines the cell's result."""
        entry = get_method(self.method)
        config_cls = entry.config if entry.config is not None else entry.load().Config
        method_cfg, train_cfg, eval_cfg = resolve(self.method, config_cls, self.preset, self.overrides)
        return {
            "protocol": PROTOCOL_VERSION,
            "method": self.method,
            "method_config": method_cfg,
            "corpus": self.corpus,
            "train_split": self.train_split,
            "train": train_cfg,
            "eval": eval_cfg,
            "seed": self.seed,
        }

    @cached_property
    def cell_id(self) -> str:
        canonical = json.dumps(self.config, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    @property
    def dirname(self) -> str:
        return f"{safe_name(self.method)}-{safe_name(self.corpus)}-seed{self.seed}-{self.cell_id}"

    def describe(self) -> str:
        extra = f" --set {' '.join(f'{k}={v}' for k, v in self.overrides)}" if self.overrides else ""
        split = f" train_split={self.train_split}" if self.train_split != "train" else ""
        return f"{self.method} on {self.corpus} (seed {self.seed}, preset {self.preset}{split}){extra}"

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "RunSpec":
        return cls(d["method"], d["corpus"], int(d["seed"]), d["preset"],
                   tuple((str(k), str(v)) for k, v in d.get("overrides", [])), d.get("train_split", "train"))

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "corpus": self.corpus, "seed": self.seed, "preset": self.preset,
                "overrides": [list(kv) for kv in self.overrides], "train_split": self.train_split}
