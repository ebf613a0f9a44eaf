"""What one cell of the grid is, and its identity, in two parts: the trained model and its scoring.

The *training identity* is a hash of everything that determines the trained weights (method and its
resolved hyperparameters, training settings, corpus, training split, frozen encoder, seed, training
protocol version); the *scoring identity* a hash of the scoring settings and the scoring protocol
version.  A cell is the pair.  Two runs that would train the same model get the same training id,
whatever preset or ``--set`` spelling produced it, so the store reuses the weights; a change of
scoring settings (``--set probe_sizes=10,all``, a new metric) re-scores stored weights instead of
retraining them.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePath
from typing import Any

from bench.presets import DEFAULT_PRESET
from bench.config import resolve
from bench.errors import UserError
from methods.registry import get_method
from sparsebench.params import canonical
from tasks.scoring import SCORING_VERSION

#: Bump when a change to the harness changes how a model is trained, so old weights are not reused.
TRAINING_VERSION = 5  # 5: random batches longest-first inside; TopK AuxK only with the linear decoder

_SCORING_KEYS = ("eval", "scoring_protocol")


def safe_name(name: str) -> str:
    """A registry name as is; a user corpus path as its file stem plus a short hash of the path."""
    if re.fullmatch(r"[A-Za-z0-9_.+-]+", name) and not name.startswith("."):
        return name
    stem = re.sub(r"[^A-Za-z0-9_+-]+", "_", PurePath(name).stem).strip("_") or "corpus"
    return f"{stem}~{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def digest(obj: Any) -> str:
    """sha256 (first 16 hex digits) of the canonical JSON of ``obj`` (sorted keys, no spaces)."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class RunSpec:
    method: str
    corpus: str
    seed: int = 0
    preset: str = DEFAULT_PRESET
    overrides: tuple[tuple[str, str], ...] = ()
    train_split: str = "train"
    #: The frozen sentence encoder of the embedding backbone as the user named it ("" on the text
    #: backbone); the config holds its resolved identity, resolved where the config is (the driver).
    encoder: str = ""
    #: The name of the named configuration this cell runs (``bench.variants``), "" for the plain method.
    variant: str = ""

    @cached_property
    def config(self) -> dict[str, Any]:
        """The canonical configuration: everything that determines the cell's result."""
        entry = get_method(self.method)
        cls = entry.config if entry.config is not None else entry.load().Config
        backbones = entry.identity.backbones if entry.identity else ("text",)
        method_cfg, train_cfg, eval_cfg = resolve(self.method, cls, self.preset, self.overrides, self.corpus,
                                                  backbones)
        config = {
            "protocol": TRAINING_VERSION,
            "scoring_protocol": SCORING_VERSION,
            "method": self.method,
            "method_config": method_cfg,
            "corpus": self.corpus,
            "train_split": self.train_split,
            "train": train_cfg,
            "eval": eval_cfg,
            "seed": self.seed,
        }
        backbone = method_cfg.get("backbone", "text")
        if backbone == "embedding" and not self.encoder:
            raise UserError("the embedding backbone needs a frozen sentence encoder: add --encoder NAME "
                            "(e.g. --encoder all-MiniLM-L6-v2, or a local sentence-transformers folder)")
        if self.encoder and backbone != "embedding":
            raise UserError(f"--encoder {self.encoder} is used only with --backbone embedding "
                            f"({self.method} runs on the {backbone} backbone)")
        input_dim = None
        if self.encoder:
            from bench.embeddings import encoder_identity

            # what the encoder computes (its files' sha256, dimension, pipeline), not its name nor the
            # library versions: other weights at the same path are another cell, a copy elsewhere or a
            # sentence-transformers upgrade the same one (the record's provenance keeps the versions)
            config["encoder"] = encoder_identity(self.encoder)
            input_dim = int(config["encoder"]["dim"])
        sized_for = getattr(cls, "sized_for", None)
        if callable(sized_for):  # sizes derived from the input (a sparse autoencoder's dictionary), explicit
            config["method_config"] = canonical(cls(**method_cfg).sized_for(input_dim))
        if self.variant:
            config["variant"] = self.variant
        return config

    @property
    def training_config(self) -> dict[str, Any]:
        """The part of :attr:`config` that determines the trained weights."""
        return {k: v for k, v in self.config.items() if k not in _SCORING_KEYS}

    @property
    def backbone(self) -> str:
        return self.config["method_config"].get("backbone", "text")

    @cached_property
    def train_id(self) -> str:
        return digest(self.training_config)

    @cached_property
    def scoring_id(self) -> str:
        return digest({k: self.config[k] for k in _SCORING_KEYS})

    @cached_property
    def cell_id(self) -> str:
        return digest(self.config)

    @property
    def label(self) -> str:
        """The name a table shows: the variant's, else the method's."""
        return self.variant or self.method

    @property
    def dirname(self) -> str:
        return f"{safe_name(self.label)}-{safe_name(self.corpus)}-seed{self.seed}-{self.cell_id}"

    @property
    def model_dirname(self) -> str:
        return f"{safe_name(self.label)}-{safe_name(self.corpus)}-seed{self.seed}-{self.train_id}"

    def describe(self) -> str:
        extra = f" --set {' '.join(f'{k}={v}' for k, v in self.overrides)}" if self.overrides else ""
        split = f" train_split={self.train_split}" if self.train_split != "train" else ""
        enc = f" encoder={self.encoder}" if self.encoder else ""
        return f"{self.label} on {self.corpus} (seed {self.seed}, preset {self.preset}{split}{enc}){extra}"

    @classmethod
    def from_dict(cls, d: dict[str, Any], config: dict[str, Any] | None = None) -> "RunSpec":
        """Rebuild a spec; ``config`` (the driver's resolved one) is reused instead of resolved again."""
        spec = cls(d["method"], d["corpus"], int(d["seed"]), d["preset"],
                   tuple((str(k), str(v)) for k, v in d.get("overrides", [])), d.get("train_split", "train"),
                   d.get("encoder", ""), d.get("variant", ""))
        if config is not None:
            spec.__dict__["config"] = config  # cached_property slot: the worker trusts the driver's resolution
        return spec

    def to_dict(self) -> dict[str, Any]:
        d = {"method": self.method, "corpus": self.corpus, "seed": self.seed, "preset": self.preset,
             "overrides": [list(kv) for kv in self.overrides], "train_split": self.train_split}
        if self.encoder:
            d["encoder"] = self.encoder
        if self.variant:
            d["variant"] = self.variant
        return d
