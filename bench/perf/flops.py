"""Model FLOPs of the shared GRU backbone, counted on real (non-pad) tokens only.

MFU compares these useful FLOPs with the device's measured matmul peak, so padding, recomputation
and framework overhead all count as lost efficiency.  A multiply-add is 2 FLOPs; a training step is
forward + backward ≈ 3 × forward (the backward of a matmul is two matmuls of the same size).
The latent heads (a few H×D matmuls per sentence) and elementwise work are left out: they are
below 1% at the paper's sizes.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    embed_dim: int
    hidden_dim: int
    latent_dim: int
    vocab_size: int


def gru_flops_per_token(input_dim: int, hidden_dim: int) -> int:
    """Input and recurrent projections of the three gates."""
    return 2 * 3 * hidden_dim * (input_dim + hidden_dim)


def encode_flops(s: Sizes, tokens: int) -> int:
    return tokens * gru_flops_per_token(s.embed_dim, s.hidden_dim)


def forward_flops(s: Sizes, tokens: int) -> int:
    decoder = gru_flops_per_token(s.embed_dim + s.latent_dim, s.hidden_dim)
    output = 2 * s.hidden_dim * s.vocab_size
    return encode_flops(s, tokens) + tokens * (decoder + output)


def train_step_flops(s: Sizes, tokens: int) -> int:
    return 3 * forward_flops(s, tokens)
