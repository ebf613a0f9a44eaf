"""Turning a preset plus ``--set key=value`` overrides into one fully resolved, typed, range-checked configuration.

Override keys are ``key`` (applies to the training or scoring settings, or to every selected method
that has that hyperparameter) or ``method.key`` (one method only).  Values are parsed by the type of
the field they set, so ``--set epochs=abc`` fails at once with the field's expected type, and every
field's declared range is checked here, for built-ins and plugins alike, so ``--set latent_dim=0``
fails before any worker starts.
"""
from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from typing import Any, Iterable

from bench.errors import UserError
from bench.config.presets import PRESETS
from sparsebench.hints import did_you_mean
from sparsebench.params import canonical, check_config, param
from tasks.scoring import ScoringConfig


#: The ``--set``/``--grid`` key of the embedding backbone's frozen encoder (see :func:`encoder_setting`).
ENCODER_KEY = "encoder"


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation of one cell: Adam at HSVAE's code's learning rate, no schedule or clipping (as that code trains)."""

    epochs: int = param(15, ge=1, doc="passes over the training sentences")
    batch_size: int = param(256, ge=2, doc="sentences per optimiser step")
    lr: float = param(8e-4, gt=0, doc="Adam learning rate")
    eval_batch_size: int = param(128, ge=1, doc="sentences per batch when encoding for the scorers")
    #: Train on at most this many sentences (a seeded subsample); 0 means all.
    max_train_sentences: int = param(0, ge=0, doc="seeded subsample of the training split (0: all)")
    #: fp32 everywhere (as the authors' code trains); bf16: autocast on CUDA (an explicit, recorded choice);
    #: auto: bf16 on CUDA devices that support it, fp32 elsewhere.
    precision: str = param("fp32", choices=("fp32", "bf16", "auto"),
                           doc="fp32 (as the authors' code); bf16 autocast on CUDA; auto: bf16 where the GPU has it")
    #: 0: random batches, each sorted by length inside (as the reference shuffles sentences); N: batches
    #: cut from length-sorted pools of N batches (less padding, but a batch then holds sentences of
    #: one length, which changes batch-level objectives such as MAT-VAE's MMD and BatchTopK).
    length_pool: int = param(0, ge=0, doc="0: random batches; N: length-bucketed pools of N batches")
    #: Text backbone: keep the N words most frequent in the training split, the rest become _UNK
    #: (0: the corpus's vocabulary).  A CPU-protocol setting: the output layer dominates the FLOPs.
    max_vocab: int = param(0, ge=0, doc="0: corpus vocabulary; N: the N most frequent training words")
    #: Every N epochs, score the deterministic headline mode on the way (probe accuracy, active
    #: dimensions, KL per dimension): training curves in the record.  0: none.  It leaves every random
    #: generator as it found it, so the model trained is the same (``records_only``).
    curve_every: int = param(0, ge=0, records_only=True, doc="epochs between training-curve points (0: none)")
    #: KL annealing (Bowman et al. 2016), the same for every method: over the first fraction f of the
    #: optimiser steps the weight of every loss term but the reconstruction (the KLs, MAT-VAE's MMD,
    #: TON's spike prior) rises linearly from 0 to 1.  0 (default): none, as the papers' code trains.
    #: A collapse-avoiding harness option, never on unless asked for; a record carries it in its id.
    kl_warmup: float = param(0.0, ge=0, le=1, omit_default=True,
                             doc="fraction of steps over which the non-reconstruction terms ramp 0→1 (0: none)")


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
            corpus: str | None = None, identity: Any = None,
            ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Method, train and scoring configs (as plain dicts) for one method under a preset and overrides.

    ``identity`` is what the method declares (:class:`methods.declare.MethodIdentity`): the backbones it
    runs on (asking one it lacks is a user error; text only when None) and whether it is a sparse
    autoencoder (then the preset's ``latent_dim`` is its active budget: :meth:`Preset.settings_for`).
    """
    backbones = identity.backbones if identity is not None else ("text",)
    if preset not in PRESETS:
        raise UserError(f"unknown preset {preset!r}{did_you_mean(preset, PRESETS)}; valid presets: {', '.join(PRESETS)}")
    p = PRESETS[preset]
    mtypes, ttypes, etypes = field_types(config_cls), field_types(TrainConfig), field_types(ScoringConfig)
    special = p.settings_for(method, corpus, identity.sparse_autoencoder if identity is not None else None)
    model = {k: v for k, v in {**p.model, **special}.items() if k in mtypes}
    train = {k: v for k, v in {**p.train, **special}.items() if k in ttypes}
    evaluation: dict[str, Any] = {}
    for key, raw in overrides:
        scope, dot, name = key.rpartition(".")
        if (dot and scope != method) or name == ENCODER_KEY:
            continue  # another method's hyperparameter; the frozen encoder is the cell's (encoder_setting)
        if name in ttypes and not (dot and name in mtypes):  # `vae.kl_warmup=0.5`: that method's cells only
            train[name] = parse_value(raw, ttypes[name], f"--set {key}")
        elif name in etypes and not dot:
            evaluation[name] = parse_value(raw, etypes[name], f"--set {key}")
        elif name in mtypes:
            model[name] = parse_value(raw, mtypes[name], f"--set {key}")
        elif name == "backbone" and raw != "text":
            raise UserError(f"method {method!r} cannot run on the {raw!r} backbone: it declares only "
                            f"{', '.join(backbones)} (its Config has no `backbone` field)")
        elif dot:
            raise UserError(f"unknown hyperparameter {name!r} in --set {key}{did_you_mean(name, mtypes)}; "
                            f"{method!r} has: {', '.join(mtypes)}")
    try:
        method_obj = config_cls(**model)
        train_obj = TrainConfig(**train)
    except (TypeError, ValueError) as exc:
        raise UserError(f"invalid configuration for method {method!r}: {exc}") from exc
    check_config(method_obj, method, f"{method}.")
    check_config(train_obj, "training")
    kind = getattr(method_obj, "backbone", "text")
    if kind not in backbones:
        raise UserError(f"method {method!r} cannot run on the {kind!r} backbone; it declares: {', '.join(backbones)}")
    eval_cfg = dataclasses.asdict(ScoringConfig.from_dict(evaluation))
    # canonical: a field added after results were published (``omit_default``) is left out at its
    # default, so the ids of the published cells do not change
    return canonical(method_obj), canonical(train_obj), eval_cfg


def encoder_setting(method: str, overrides: tuple[tuple[str, str], ...], default: str = "") -> str:
    """The frozen encoder a cell of ``method`` asks for: ``--set encoder=NAME`` (or ``METHOD.encoder=NAME``,
    which wins), else ``default`` (``--encoder NAME``).

    Why apart from the method config: ``encoder`` is a field of the embedding backbone's configuration
    (:class:`methods.declare.BackboneConfig`), settable and sweepable like any field, but what a cell
    records of it is the encoder's resolved identity (``config["encoder"]``, resolved once per run), not
    the name, so the same model under two names or paths is one cell.
    """
    found = dict(overrides)
    return found.get(f"{method}.{ENCODER_KEY}", found.get(ENCODER_KEY, default))


def strip_encoder(overrides: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """``overrides`` without the encoder keys (the cell's spec names its encoder in its own field)."""
    return tuple(kv for kv in overrides if kv[0].rpartition(".")[2] != ENCODER_KEY)


def check_override_keys(overrides: tuple[tuple[str, str], ...], method_configs: dict[str, type]) -> None:
    """Every override must set something: a training field, or a field of at least one selected method."""
    known = set(field_types(TrainConfig)) | set(field_types(ScoringConfig)) | {"backbone", ENCODER_KEY}
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
