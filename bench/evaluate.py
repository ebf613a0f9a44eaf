"""Scoring a trained method: codes for every declared mode, then the metrics of ``tasks``.

Everything runs in evaluation mode without gradients.  Codes keep the split's original order, so
labels line up whatever order the length-sorted batches took.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from bench.data import PaddedSplit
from methods.base import SparseEncoder
from tasks.probes import logistic_probe
from tasks.sparsity import average_hoyer


@torch.no_grad()
def encode_split(model: SparseEncoder, data: PaddedSplit, mode: str, batch_size: int, device: torch.device) -> np.ndarray:
    model.eval()
    codes = np.zeros((len(data), model.latent_dim), dtype=np.float32)
    for index, batch in data.eval_batches(batch_size):
        codes[index] = model.encode(batch.to(device), mode).float().cpu().numpy()
    return codes


@torch.no_grad()
def reconstruction(model: SparseEncoder, data: PaddedSplit, batch_size: int, device: torch.device) -> dict[str, Any]:
    """Test NLL per sentence and per token (perplexity) and every named loss term, in eval mode."""
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


def score_codes(train_codes: np.ndarray, train_y: np.ndarray, test_codes: np.ndarray, test_y: np.ndarray,
                seed: int) -> dict[str, Any]:
    ah = average_hoyer(test_codes, normalise=True)
    ah_raw = average_hoyer(test_codes, normalise=False)
    probe = logistic_probe(train_codes, train_y, test_codes, test_y, random_state=seed)
    return {
        "avg_hoyer": ah.value,
        "avg_hoyer_raw": ah_raw.value,
        "hoyer_dropped_dims": ah.dropped_dims,
        "hoyer_zero_codes": ah.zero_codes,
        "probe_accuracy": probe.accuracy,
        "probe_macro_f1": probe.macro_f1,
        "probe_train_size": probe.n_train,
    }
