"""Sparsemax autoencoder, after Trifonov et al. (BlackboxNLP 2018): exact zeros by projection.

The code is κ·sparsemax(W h + b): the Euclidean projection of a linear read-out of the backbone's
state onto the probability simplex, so most coordinates are exactly 0 (the only VAE-free
sparsifier of the papers, with true L0 sparsity).  Training is reconstruction only.

What the paper specifies and what is the harness's choice: the paper (whose full text was not at
hand when this was written, and which has no released code) compares ways of making sentence
embeddings sparse, among them a sparsemax over the dimensions of a seq2seq encoder's sentence
vector, trained on reconstruction.  Everything else is this harness's choice, the same for every
method where the paper is silent: the shared backbone, the linear read-out, and κ.
- κ: without it the code's L1 norm is pinned to 1, which starves the decoder's conditioning signal.
  ``kappa = 0`` means √D, which keeps a one-hot code at the scale of a unit-variance Gaussian
  code's norm; ``learn_kappa`` makes κ a parameter (stored as log κ so it stays positive).  Hoyer is
  scale-invariant, so κ does not move the sparsity metric.
- sparsemax comes from the MIT-licensed ``entmax`` package (exact forward and custom backward);
  ``tests/unit/methods`` checks it against the closed-form projection and with gradcheck.
- Activity is ``z ≠ 0`` (exact zeros).
"""
from __future__ import annotations

import math

import torch
from entmax import sparsemax
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

    def code(self, batch: Batch) -> Tensor:
        return self.log_kappa.exp() * sparsemax(self.head(self.backbone.encode_hidden(batch)), dim=-1)
