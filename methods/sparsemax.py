"""Sparsemax Seq2Seq (Trifonov et al., BlackboxNLP 2018, methods.md §4): exact zeros by projection.

The code is κ·sparsemax(W h + b): the Euclidean projection of a linear read-out of the encoder state
onto the probability simplex, so most coordinates are exactly 0 (the only VAE-free sparsifier here,
and the only built-in with true L0 sparsity).  Training is reconstruction only.

Design choices, with their reasons:
- sparsemax comes from the MIT-licensed ``entmax`` package (exact forward and custom backward);
  ``tests/unit/methods`` checks it against the closed-form projection and with gradcheck.
- κ: without it the code's L1 norm is pinned to 1, which starves the decoder's conditioning signal
  (§4.1, a harness choice since the paper's details are unverified).  ``kappa = 0`` means √D, which
  keeps a one-hot code at the scale of a unit-variance Gaussian code's norm; ``learn_kappa`` makes κ
  a parameter (stored as log κ so it stays positive).  Hoyer is scale-invariant, so κ does not move
  the sparsity metric.
- Otherwise the deterministic autoencoder (``methods.ae``): one mode, ``code``, reconstruction only.
"""
from __future__ import annotations

import math

import torch
from entmax import sparsemax
from torch import Tensor, nn

from methods.ae import Autoencoder
from methods.base import Batch
from methods.checks import require_range
from methods.configs import SparsemaxConfig


class SparsemaxAE(Autoencoder):
    name = "sparsemax"
    Config = SparsemaxConfig
    modes = ("code",)
    default_mode = "code"
    exact_zeros = True

    def __init__(self, config: SparsemaxConfig, vocab_size: int, eos_id: int) -> None:
        super().__init__(config, vocab_size, eos_id)
        require_range(self.name, config, "kappa", 0.0)
        c = config
        kappa = c.kappa if c.kappa > 0 else math.sqrt(c.latent_dim)
        log_kappa = torch.tensor(math.log(kappa))
        if c.learn_kappa:
            self.log_kappa = nn.Parameter(log_kappa)
        else:
            self.register_buffer("log_kappa", log_kappa)

    def code(self, batch: Batch) -> Tensor:
        return self.log_kappa.exp() * sparsemax(self.head(self.backbone.encode_hidden(batch)), dim=-1)
