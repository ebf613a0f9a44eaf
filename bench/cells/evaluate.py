"""Scoring a trained method: the inputs of the metric table for every declared mode, then ``tasks.scoring``.

Everything runs in evaluation mode without gradients.  Codes keep the split's original order, so
labels line up whatever order the length-sorted batches took.  What is computed from the codes is
decided by the metric table (:mod:`tasks.metrics`); this module only prepares its inputs: codes,
activity (by the mode's rule, recorded with it), K-draw means for stochastic modes, decoded
embeddings on the embedding backbone, and the model's reconstruction sums.
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from bench.data.batches import PaddedSplit
from methods.base import SparseEncoder
from tasks.activity import read_activity
from tasks.scoring import ScoringConfig, score


@torch.no_grad()
def encode_split(model: SparseEncoder, data: PaddedSplit, mode: str, batch_size: int, device: torch.device,
                 with_activity: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """Codes ``[N, D]`` of ``mode`` and, if asked and the method reports it, their activity from the same draw."""
    model.eval()
    codes = np.zeros((len(data), model.latent_dim), dtype=np.float32)
    activity = np.zeros_like(codes) if with_activity else None
    for index, batch in data.eval_batches(batch_size):
        z, a = model.encode_with_activity(batch.to(device), mode)
        codes[index] = z.float().cpu().numpy()
        if activity is not None:
            if a is None:
                activity = None
            else:
                activity[index] = a.float().cpu().numpy()
    return codes, activity


def mean_of_draws(model: SparseEncoder, data: PaddedSplit, mode: str, draws: int, batch_size: int,
                  device: torch.device, first: np.ndarray | None = None) -> np.ndarray:
    """Per-sentence mean of ``draws`` encodings in a stochastic ``mode`` (``first`` reuses one draw)."""
    total = np.zeros((len(data), model.latent_dim), dtype=np.float64)
    done = 0
    if first is not None:
        total += first
        done = 1
    for _ in range(done, draws):
        total += encode_split(model, data, mode, batch_size, device)[0]
    return total / draws


@torch.no_grad()
def decode_codes(model: SparseEncoder, codes: np.ndarray, batch_size: int, device: torch.device) -> np.ndarray | None:
    """The embedding decoded from ``codes`` (embedding backbone only; None on the text backbone)."""
    backbone = getattr(model, "backbone", None)
    if backbone is None or not hasattr(backbone, "decode"):
        return None
    model.eval()
    out = []
    for i in range(0, len(codes), batch_size):
        z = torch.from_numpy(codes[i:i + batch_size]).to(device)
        out.append(backbone.decode(z).float().cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, 0), dtype=np.float32)


@torch.no_grad()
def reconstruction(model: SparseEncoder, data: PaddedSplit, batch_size: int, device: torch.device, *,
                   seed: int = 0) -> dict[str, Any]:
    """Summed loss terms over the test split (evaluation mode), what they sum over, and per-dimension KL.

    The batches have seeded random membership (:meth:`PaddedSplit.loss_batches`), not length order:
    MAT-VAE's MMD and the total loss are batch statistics, and on length-sorted batches each length
    group would be compared with the prior on its own.

    "recon" is the method's reconstruction term (summed token cross-entropy given z on the text
    backbone, z drawn as the loss draws it): the ELBO's reconstruction term, not the marginal −log p(x).
    """
    model.eval()
    sums: dict[str, float] = {}
    kl = None
    sentences, units = 0, 0
    backbone = getattr(model, "backbone", None)
    unit = "token" if getattr(backbone, "kind", "text") == "text" else "embedding coordinate"
    for _, batch in data.loss_batches(batch_size, seed):
        out = model.loss(batch.to(device))
        n = batch.size
        sentences += n
        units += backbone.reconstruction_units(batch) if backbone is not None else int(batch.lengths.sum())
        for name, value in {"total": out.total, **out.terms}.items():
            sums[name] = sums.get(name, 0.0) + float(value) * n
        if out.kl_per_dim is not None:
            part = out.kl_per_dim.double().cpu() * n
            kl = part if kl is None else kl + part
    return {"sentences": sentences, "units": units, "unit": unit, "kind": recon_kind(model), "sums": sums,
            "kl_per_dim": None if kl is None else (kl / sentences).tolist()}


def recon_kind(model: SparseEncoder) -> str:
    """What the model's ``terms["recon"]`` is: "token_ce" (text backbone), "gaussian_nll" (the embedding
    backbone's likelihood) or "squared_error" (the sparse autoencoders), as the model or its backbone
    declares it (``recon_kind``); numbers of different kinds are never one column of a table."""
    declared = getattr(model, "recon_kind", None) or getattr(getattr(model, "backbone", None), "recon_kind", None)
    if declared:
        return str(declared)
    return "token_ce" if getattr(getattr(model, "backbone", None), "kind", "text") == "text" else "unknown"


@dataclass
class Scores:
    """A trained model's scores: per-mode scalars and analysis, and the model-level reconstruction."""

    modes: dict[str, dict[str, float | int]] = field(default_factory=dict)
    analysis: dict[str, dict[str, Any]] = field(default_factory=dict)
    reconstruction: dict[str, Any] = field(default_factory=dict)
    #: Wall seconds by part, summed over modes: ``encode`` (codes, activity, K-draw means, decoded
    #: embeddings), ``test_loss`` (the loss terms on the test split) and one entry per scorer.
    seconds: Counter = field(default_factory=Counter)


def score_model(model: SparseEncoder, train: PaddedSplit, test: PaddedSplit, *, seed: int, config: ScoringConfig,
                batch_size: int, device: torch.device) -> Scores:
    """Every metric of the table for every mode of ``model`` (probes fit on ``train``, everything else on ``test``)."""
    out = Scores()
    cls = type(model)
    identity = cls.identity()
    # The k-sparse surface (35 probe fits) only for the modes a table shows; the decoded-embedding probe (a
    # 384-wide probe whose weakly regularised fits take a thousand iterations) only for the deterministic
    # headline, the one code whose reconstruction a table compares (scoring protocol 5).
    shown = {identity.headline("deterministic"), identity.headline("stochastic"), cls.default_mode} - {None}
    decoded_for = identity.headline("deterministic") or cls.default_mode
    for mode in model.modes:
        started = time.perf_counter()
        torch.manual_seed(seed)  # the draws of stochastic modes are part of the cell, hence seeded
        latent = mode in cls.activity_rules
        train_codes, train_activity = encode_split(model, train, mode, batch_size, device, with_activity=latent)
        test_codes, activity = encode_split(model, test, mode, batch_size, device, with_activity=latent)
        if activity is not None and train_activity is not None:
            rule = f"latent: {cls.activity_rules[mode]}"
        else:
            activity, rule = read_activity(test_codes, exact_zeros=bool(cls.exact_zeros),
                                           threshold=config.activity_threshold)
            train_activity, _ = read_activity(train_codes, exact_zeros=bool(cls.exact_zeros),
                                              threshold=config.activity_threshold)
        stochastic = mode in model.stochastic_modes
        inputs: dict[str, Any] = {
            "seed": seed, "train_codes": train_codes, "train_labels": train.labels, "test_codes": test_codes,
            "test_labels": test.labels, "test_activity": activity, "train_activity": train_activity,
            "activity_rule": rule,
            "mean_codes": (mean_of_draws(model, test, mode, config.hoyer_samples, batch_size, device, first=test_codes)
                           if stochastic else None),
            "headline": True if mode in shown else None,
        }
        if test.inputs is not None:
            inputs.update(test_inputs=test.inputs, test_decoded=decode_codes(model, test_codes, batch_size, device))
            if mode == decoded_for:
                inputs["train_decoded"] = decode_codes(model, train_codes, batch_size, device)
        out.seconds["encode"] += time.perf_counter() - started
        scored = score(inputs, config)
        out.seconds.update(scored.seconds)
        out.modes[mode] = scored.scalars
        out.analysis[mode] = {"mode": mode, "stochastic": stochastic, "exact_zeros": bool(cls.exact_zeros),
                              "activity_rule": rule, **scored.analysis}
    started = time.perf_counter()
    torch.manual_seed(seed)
    sums = reconstruction(model, test, batch_size, device, seed=seed)
    out.seconds["test_loss"] += time.perf_counter() - started
    recon = score({"seed": seed, "reconstruction": sums}, config, per="model")
    out.seconds.update(recon.seconds)
    out.reconstruction = {**recon.scalars, "recon_kind": recon_kind(model),
                          "analysis": recon.analysis.get("reconstruction", {})}
    return out


def model_metrics(cls: type[SparseEncoder], scores: Scores) -> dict[str, Any]:
    """A record's ``metrics`` from a model's scores: every mode, its kind and the headline mode of each kind.

    One place for trained cells and the ``untrained`` reference, so their rows read alike."""
    return {"modes": scores.modes, "default_mode": cls.default_mode, "reconstruction": scores.reconstruction,
            "analysis": scores.analysis,
            "modes_kind": {m: ("stochastic" if m in cls.stochastic_modes else "deterministic") for m in cls.modes},
            "headline_modes": {k: cls.identity().headline(k) for k in ("deterministic", "stochastic")}}
