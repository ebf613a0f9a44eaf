"""Scoring a trained method: codes for every declared mode, then the metrics of ``tasks``.

Everything runs in evaluation mode without gradients.  Codes keep the split's original order, so
labels line up whatever order the length-sorted batches took.
"""
from __future__ import annotations

import math
import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from bench.data import PaddedSplit
from bench.config import EvalConfig
from methods.base import SparseEncoder
from tasks.class_activation import class_activation
from tasks.probes import DEFAULT_C_GRID, probe_sweep, sweep_scalars, sweep_table
from tasks.sparsity import active_fraction, average_hoyer, exact_l0, hoyer_ratio

#: The encode mode whose K-draw mean feeds the Hoyer ratio (HSVAE: joint (γ, z) samples).
SAMPLE_MODE = "sample"


@torch.no_grad()
def encode_split(model: SparseEncoder, data: PaddedSplit, mode: str, batch_size: int, device: torch.device) -> np.ndarray:
    model.eval()
    codes = np.zeros((len(data), model.latent_dim), dtype=np.float32)
    for index, batch in data.eval_batches(batch_size):
        codes[index] = model.encode(batch.to(device), mode).float().cpu().numpy()
    return codes


def mean_of_draws(model: SparseEncoder, data: PaddedSplit, mode: str, draws: int, batch_size: int,
                  device: torch.device, first: np.ndarray | None = None) -> np.ndarray:
    """Per-sentence mean of ``draws`` encodings in a stochastic ``mode`` (``first`` reuses one draw)."""
    total = np.zeros((len(data), model.latent_dim), dtype=np.float64)
    done = 0
    if first is not None:
        total += first
        done = 1
    for _ in range(done, draws):
        total += encode_split(model, data, mode, batch_size, device)
    return total / draws


@torch.no_grad()
def reconstruction(model: SparseEncoder, data: PaddedSplit, batch_size: int, device: torch.device) -> dict[str, Any]:
    """Test NLL per sentence and per token (perplexity) and every named loss term, in eval mode.

    "NLL" is the method's ``recon`` term (summed token cross-entropy given z, z drawn as the loss
    draws it): the ELBO's reconstruction term, comparable across methods, not the marginal −log p(x).
    """
    model.eval()
    sums: dict[str, float] = {}
    sentences, tokens = 0, 0
    for _, batch in data.eval_batches(batch_size):
        out = model.loss(batch.to(device))
        n = batch.size
        sentences += n
        tokens += int(batch.lengths.sum())
        for name, value in {"total": out.total, **out.terms}.items():
            sums[name] = sums.get(name, 0.0) + float(value) * n
    terms = {k: v / sentences for k, v in sums.items()}
    nll_sentence = terms["recon"]
    nll_token = sums["recon"] / tokens
    return {"nll_per_sentence": nll_sentence, "nll_per_token": nll_token, "perplexity": math.exp(nll_token),
            "terms": terms}


@dataclass
class ModeScores:
    """Scores of one encode mode: flat scalars for the leaderboard, nested lists for plots and audit."""

    scalars: dict[str, float | int] = field(default_factory=dict)
    analysis: dict[str, Any] = field(default_factory=dict)


def score_codes(train_codes: np.ndarray, train_y: np.ndarray, test_codes: np.ndarray, test_y: np.ndarray,
                *, seed: int, config: EvalConfig = EvalConfig(), mean_codes: np.ndarray | None = None,
                ) -> ModeScores:
    """Every metric of ``tasks`` for one mode.  Sparsity and class analysis use the test codes, probes
    fit on train codes and score on test codes; ``mean_codes`` (K-draw mean of test codes) adds the
    Hoyer ratio."""
    ah = average_hoyer(test_codes, normalise=True)
    ah_raw = average_hoyer(test_codes, normalise=False)
    l0 = exact_l0(test_codes)
    thr = config.active_threshold
    rows = probe_sweep(train_codes, train_y, test_codes, test_y, sizes=config.sizes(), repeats=config.probe_repeats,
                       random_state=seed, C=config.probe_C, cv_C=DEFAULT_C_GRID if config.probe_cv else None)
    ca = class_activation(test_codes, test_y, threshold=thr)
    scalars: dict[str, float | int] = {
        "avg_hoyer": ah.value, "avg_hoyer_raw": ah_raw.value,
        "hoyer_dropped_dims": ah.dropped_dims, "hoyer_zero_codes": ah.zero_codes,
        "hoyer_zero_codes_raw": ah_raw.zero_codes,
        "active_fraction": active_fraction(test_codes, thr), "l0": l0.l0, "zero_fraction": l0.zero_fraction,
        **sweep_scalars(rows),
        "class_kl_mean": ca.kl_mean, "class_js_mean": ca.js_mean,
        "class_dropped_dims": ca.dropped_dims, "class_silent": ca.silent_classes,
    }
    analysis: dict[str, Any] = {
        "probe_sweep": sweep_table(rows),
        "class_activation": {"classes": ca.classes, "class_sizes": ca.sizes, "threshold": thr,
            "profile": ca.profile.tolist(), "kl": ca.kl.tolist(), "js": ca.js.tolist()},
    }
    if mean_codes is not None:
        hr = hoyer_ratio(mean_codes, threshold=thr)
        scalars.update(hoyer_ratio_numerator=hr.numerator, hoyer_ratio_denominator=hr.denominator,
                       hoyer_ratio_kept_dims=hr.kept_dims)
        if hr.defined:
            scalars["hoyer_ratio"] = hr.ratio
        analysis["hoyer_ratio"] = {**dataclasses.asdict(hr), "draws": config.hoyer_samples}
    return ModeScores(scalars, analysis)
