"""What a user asks one cell of the grid to be (:class:`RunSpec`), and how it resolves to a configuration.

A spec names a method (or a variant of one), a corpus, a seed, a preset, the ``--set`` overrides of
its grid point, the training split and, on the embedding backbone, the frozen encoder by name.
:func:`resolve_config` turns it into the canonical configuration: everything that determines the
cell's result, with the encoder as its resolved identity.  The identities of a cell are hashes of
that configuration, in two parts: the *training identity* (method and its resolved hyperparameters,
training settings, corpus, training split, frozen encoder, seed, training protocol version) and the
*scoring identity* (the scoring settings and the scoring protocol version); the cell is the pair.
Two runs that would train the same model get the same training id, whatever preset or ``--set``
spelling produced it, so the store reuses the weights; a change of scoring settings
(``--set probe_sizes=10,all``, a new metric) re-scores stored weights instead of retraining them.

Resolution reads no file: the encoder's identity comes from an :class:`~bench.encoders.identity.EncoderIdentities`
table that the driver fills once per run, when the grid is expanded.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Callable

from bench.config.presets import DEFAULT_PRESET
from bench.config.resolve import encoder_setting, resolve, strip_encoder
from bench.errors import UserError
from methods.registry import get_method
from sparsebench.params import canonical
from tasks.scoring import SCORING_VERSION

#: Bump when a change to the harness changes how a model is trained, so old weights are not reused.
TRAINING_VERSION = 5  # 5: random batches longest-first inside; TopK AuxK only with the linear decoder

SCORING_KEYS = ("eval", "scoring_protocol")


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
    """One cell as asked for: hashable, cheap, and the ``spec`` of its record (:meth:`to_dict`)."""

    method: str
    corpus: str
    seed: int = 0
    preset: str = DEFAULT_PRESET
    overrides: tuple[tuple[str, str], ...] = ()
    train_split: str = "train"
    #: The frozen sentence encoder of the embedding backbone as the user named it ("" on the text
    #: backbone); the config holds its resolved identity.
    encoder: str = ""
    #: The name of the named configuration this cell runs (``bench.config.variants``), "" for the plain method.
    variant: str = ""

    @property
    def label(self) -> str:
        """The name a table shows: the variant's, else the method's."""
        return self.variant or self.method

    def describe(self) -> str:
        extra = f" --set {' '.join(f'{k}={v}' for k, v in self.overrides)}" if self.overrides else ""
        split = f" train_split={self.train_split}" if self.train_split != "train" else ""
        enc = f" encoder={self.encoder}" if self.encoder else ""
        return f"{self.label} on {self.corpus} (seed {self.seed}, preset {self.preset}{split}{enc}){extra}"

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "RunSpec":
        return cls(d["method"], d["corpus"], int(d["seed"]), d["preset"],
                   tuple((str(k), str(v)) for k, v in d.get("overrides", [])), d.get("train_split", "train"),
                   d.get("encoder", ""), d.get("variant", ""))

    def to_dict(self) -> dict[str, Any]:
        d = {"method": self.method, "corpus": self.corpus, "seed": self.seed, "preset": self.preset,
             "overrides": [list(kv) for kv in self.overrides], "train_split": self.train_split}
        if self.encoder:
            d["encoder"] = self.encoder
        if self.variant:
            d["variant"] = self.variant
        return d


#: Looks up an encoder name's identity (what the model computes): :class:`bench.encoders.identity.EncoderIdentities`.
EncoderLookup = Callable[[str], dict[str, Any]]


def resolve_config(spec: RunSpec, encoders: EncoderLookup) -> tuple[RunSpec, dict[str, Any]]:
    """(the spec as the cell records it, the canonical configuration): everything that determines the result.

    The encoder a cell asks for (``--encoder``, or the ``encoder`` field set by ``--set``/``--grid``)
    is resolved through ``encoders`` when the cell runs on the embedding backbone, and dropped on the
    text backbone, where nothing reads it (so ``--grid backbone=text,embedding`` gives plain text
    cells beside the embedding ones); the returned spec names it in its ``encoder`` field, never in
    its overrides, so ``--set encoder=X`` and ``--encoder X`` are one cell.
    """
    entry = get_method(spec.method)
    cls = entry.config if entry.config is not None else entry.load().Config
    method_cfg, train_cfg, eval_cfg = resolve(spec.method, cls, spec.preset, spec.overrides, spec.corpus,
                                              entry.identity)
    backbone = method_cfg.get("backbone", "text")
    encoder = encoder_setting(spec.method, spec.overrides, spec.encoder) if backbone == "embedding" else ""
    spec = dataclasses.replace(spec, overrides=strip_encoder(spec.overrides), encoder=encoder)
    config: dict[str, Any] = {
        "protocol": TRAINING_VERSION,
        "scoring_protocol": SCORING_VERSION,
        "method": spec.method,
        "method_config": method_cfg,
        "corpus": spec.corpus,
        "train_split": spec.train_split,
        "train": train_cfg,
        "eval": eval_cfg,
        "seed": spec.seed,
    }
    input_dim = None
    if backbone == "embedding":
        if not encoder:
            raise UserError(f"{spec.label} runs on the embedding backbone, which needs a frozen sentence encoder: "
                            "add --encoder NAME or --set encoder=NAME (e.g. all-MiniLM-L6-v2, or a local "
                            "sentence-transformers folder)")
        # what the encoder computes (its files' sha256, dimension, pipeline), not its name nor the
        # library versions: other weights at the same path are another cell, a copy elsewhere or a
        # sentence-transformers upgrade the same one (the record's provenance keeps the versions)
        config["encoder"] = dict(encoders(encoder))
        input_dim = int(config["encoder"]["dim"])
    sized_for = getattr(cls, "sized_for", None)
    if callable(sized_for):  # sizes derived from the input (a sparse autoencoder's dictionary), explicit
        config["method_config"] = canonical(cls(**method_cfg).sized_for(input_dim))
    if spec.variant:
        config["variant"] = spec.variant
    return spec, config
