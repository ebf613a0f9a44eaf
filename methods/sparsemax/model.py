"""Sparsemax autoencoder, after Trifonov et al. (BlackboxNLP 2018): exact zeros by projection.

The code is κ·p/‖p‖₂ with p = sparsemax(W h + b), the Euclidean projection of a linear read-out of
the backbone's state onto the probability simplex, so most coordinates are exactly 0 (the only VAE-free
sparsifier of the papers, with true L0 sparsity).  Training is reconstruction only.

What the paper specifies and what is the harness's choice: the paper (whose full text was not at
hand when this was written, and which has no released code) compares ways of making sentence
embeddings sparse, among them a sparsemax over the dimensions of a seq2seq encoder's sentence
vector, trained on reconstruction.  Everything else is this harness's choice, the same for every
method where the paper is silent: the shared backbone, the linear read-out, and κ.
- κ: without it the code's L1 norm is pinned to 1, which starves the decoder's conditioning signal.
  ``kappa = 0`` means √D, the norm of a unit-variance Gaussian code; ``learn_kappa`` makes κ a
  parameter (stored as log κ so it stays positive).  Hoyer is scale-invariant per code, so neither
  κ nor the norm moves the sparsity metric.
- The norm κ fixes (``norm``), by default the code's length: code = κ·p/‖p‖₂ with p = sparsemax(Wh+b).
  κ·p alone (``norm = "l1"``) has ‖κp‖₂ = κ‖p‖₂, which grows from κ/√D (uniform) to κ (one-hot): a
  decoder that gains from a stronger conditioning input pulls every code to a vertex, where
  sparsemax's Jacobian diag(s) − ssᵀ/|S| is 0, so the encoder stops getting gradient.  Measured on
  Yahoo (reference preset, seed 0; ``experiments/reference/sparsemax_support.py``): with ``l1`` the
  support falls from 27 of 32 coordinates at initialisation to 1 within 50 steps, 2 coordinates are
  ever used, and the trained code probes at chance; with ``l2`` the support is about 11 after the
  first epoch and the trained code has 11.7 active coordinates (results/reference/README.md, text track).
- sparsemax comes from the MIT-licensed ``entmax`` package (exact forward and custom backward);
  ``tests/unit/methods`` checks it against the closed-form projection and with gradcheck.
- ``entmax_alpha`` (the sweep's sparsity knob): α-entmax instead of sparsemax, the family of
  Tsallis-entropy maps of which sparsemax is α = 2 and softmax the limit α → 1: sparsemax itself at 2,
  the exact sort-based 1.5-entmax at 1.5, the package's bisection solver for any other α (exact zeros
  for every α > 1).
- Activity is ``z ≠ 0`` (exact zeros).
"""
from __future__ import annotations

import math

import functools
from typing import Callable

import torch
from entmax import entmax15, entmax_bisect, sparsemax
from torch import Tensor, nn

from methods.ae.model import AE
from methods.base import Batch
from methods.sparsemax.config import SparsemaxConfig


class Sparsemax(AE):
    Config = SparsemaxConfig

    def __init__(self, config: SparsemaxConfig, vocab_size: int, eos_id: int, *, input_dim: int | None = None) -> None:
        super().__init__(config, vocab_size, eos_id, input_dim=input_dim)
        kappa = config.kappa if config.kappa > 0 else math.sqrt(config.latent_dim)
        log_kappa = torch.tensor(math.log(kappa))
        if config.learn_kappa:
            self.log_kappa = nn.Parameter(log_kappa)
        else:
            self.register_buffer("log_kappa", log_kappa)
        self.simplex_map = simplex_map(config.entmax_alpha)

    def code(self, batch: Batch) -> Tensor:
        p = self.simplex_map(self.head(self.backbone.encode_hidden(batch)), dim=-1)
        if self.config.norm == "l2":  # ‖p‖₂ ≥ 1/√D > 0 on the simplex: never a division by zero
            p = p / p.norm(dim=-1, keepdim=True)
        return self.log_kappa.exp() * p


def simplex_map(alpha: float) -> Callable[..., Tensor]:
    """α-entmax onto the simplex: the exact sparsemax (α = 2) and 1.5-entmax, else bisection."""
    if alpha == 2.0:
        return sparsemax
    if alpha == 1.5:
        return entmax15
    return functools.partial(entmax_bisect, alpha=alpha)
