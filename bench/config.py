"""Turning a preset plus ``--set key=value`` overrides into one fully resolved, typed configuration.

Override keys are ``key`` (applies to the training config, or to every selected method that has
that hyperparameter) or ``method.key`` (one method only).  Values are parsed by the type of the
field they set, so ``--set epochs=abc`` fails at once with the field's expected type.
"""
from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from bench.errors import UserError
from bench.hints import did_you_mean
from bench.presets import PRESETS
from tasks.sparsity import ACTIVE_THRESHOLD


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation of one cell: Adam with the paper's learning rate, no schedule or clipping (§1.5)."""

    epochs: int = 15
    batch_size: int = 256
    lr: float = 8e-4
    eval_batch_size: int = 128
    #: Train on at most this many sentences (a seeded subsample); 0 means all.
    max_train_sentences: int = 0
    #: "auto": bf16 autocast on CUDA devices that support it, float32 elsewhere; "fp32" forces float32.
    precision: str = "auto"

    def __post_init__(self) -> None:
        if self.precision not in ("auto", "fp32", "bf16"):
            raise ValueError(f"precision must be auto, fp32 or bf16, not {self.precision!r}")


@dataclass(frozen=True)
class EvalConfig:
    """How codes are scored: part of a cell's identity (the ``eval`` section of its config).

    ``probe_sizes`` is text so that ``--set probe_sizes=10,100,all`` parses like every other field:
    comma-separated labelled examples per class, ``all`` for the whole training set (always added:
    ``probe_accuracy`` is the all-labels probe).
    """

    probe_sizes: str = "10,100,1000,all"
    probe_repeats: int = 3
    #: Choose C by stratified inner 5-fold CV over ``tasks.probes.DEFAULT_C_GRID`` (SentEval style).
    probe_cv: bool = False
    probe_C: float = 1.0
    #: Draws of the ``sample`` mode averaged per sentence for the Hoyer ratio (HSVAE: 5).
    hoyer_samples: int = 5
    active_threshold: float = ACTIVE_THRESHOLD

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> "EvalConfig":
        raw = dict(raw or {})
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise UserError(f"unknown evaluation setting {unknown[0]!r}; valid: {', '.join(sorted(known))}")
        cfg = cls(**raw)
        cfg.sizes()  # fail early on a malformed size list
        for name in ("probe_repeats", "hoyer_samples"):
            if int(getattr(cfg, name)) < 1:
                raise UserError(f"invalid {name}={getattr(cfg, name)!r}: expected an integer ≥ 1")
        return cfg

    def sizes(self) -> tuple[int | None, ...]:
        out: list[int | None] = []
        for item in str(self.probe_sizes).split(","):
            item = item.strip().lower()
            if not item:
                continue
            if item == "all":
                out.append(None)
                continue
            try:
                n = int(item)
            except ValueError:
                n = 0
            if n < 1:
                raise UserError(f"invalid probe size {item!r} in probe_sizes={self.probe_sizes!r}: "
                                "expected positive integers (per class) or 'all', e.g. 10,100,all")
            out.append(n)
        if not out:
            raise UserError(f"probe_sizes={self.probe_sizes!r} names no size; e.g. 10,100,all")
        if None not in out:  # the headline probe_accuracy is always the all-labels probe
            out.append(None)
        return tuple(out)



def field_types(cls: type) -> dict[str, type]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def parse_value(raw: str, typ: type, where: str) -> Any:
    try:
        if typ is bool:
            low = raw.strip().lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if typ is int:
            return int(raw)
        if typ is float:
            return float(raw)
        if typ is str:
            return raw
    except ValueError:
        pass
    else:
        raise UserError(f"{where}: cannot set a field of type {typ}")
    kind = {bool: "true or false", int: "an integer", float: "a number"}.get(typ, str(typ))
    raise UserError(f"invalid value {raw!r} for {where}: expected {kind}")


def parse_overrides(items: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """``["a=1", "vae.beta=2"]`` → sorted pairs; a later value for the same key wins."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UserError(f"malformed --set {item!r}: expected KEY=VALUE, e.g. --set epochs=3 or --set vae.beta=0.5")
        out[key] = value.strip()
    return tuple(sorted(out.items()))


def resolve(method: str, config_cls: type, preset: str, overrides: tuple[tuple[str, str], ...],
            ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Method, train and eval configs (as plain dicts) for one method under a preset and overrides."""
    if preset not in PRESETS:
        raise UserError(f"unknown preset {preset!r}{did_you_mean(preset, PRESETS)}; valid presets: {', '.join(PRESETS)}")
    p = PRESETS[preset]
    mtypes, ttypes, etypes = field_types(config_cls), field_types(TrainConfig), field_types(EvalConfig)
    model = {k: v for k, v in p.model.items() if k in mtypes}
    train = dict(p.train)
    evaluation: dict[str, Any] = {}
    for key, raw in overrides:
        scope, dot, name = key.rpartition(".")
        if dot and scope != method:
            continue  # another method's hyperparameter
        if name in ttypes and not dot:
            train[name] = parse_value(raw, ttypes[name], f"--set {key}")
        elif name in etypes and not dot:
            evaluation[name] = parse_value(raw, etypes[name], f"--set {key}")
        elif name in mtypes:
            model[name] = parse_value(raw, mtypes[name], f"--set {key}")
        elif dot:
            raise UserError(f"unknown hyperparameter {name!r} in --set {key}{did_you_mean(name, mtypes)}; "
                            f"{method!r} has: {', '.join(mtypes)}")
    try:
        method_cfg = dataclasses.asdict(config_cls(**model))
        train_cfg = dataclasses.asdict(TrainConfig(**train))
    except (TypeError, ValueError) as exc:
        raise UserError(f"invalid configuration for method {method!r}: {exc}") from exc
    eval_cfg = dataclasses.asdict(EvalConfig.from_dict(evaluation))
    return method_cfg, train_cfg, eval_cfg


def check_override_keys(overrides: tuple[tuple[str, str], ...], method_configs: dict[str, type]) -> None:
    """Every override must set something: a training field, or a field of at least one selected method."""
    known = set(field_types(TrainConfig)) | set(field_types(EvalConfig))
    for cls in method_configs.values():
        known |= set(field_types(cls))
    for key, _ in overrides:
        scope, dot, name = key.rpartition(".")
        if dot:
            if scope not in method_configs:
                raise UserError(f"--set {key}: {scope!r} is not among the selected methods "
                                f"({', '.join(method_configs)})")
            continue  # checked against that method in resolve()
        if name not in known:
            raise UserError(f"unknown --set key {name!r}{did_you_mean(name, known)}; valid keys: {', '.join(sorted(known))}")

