"""Backbones a latent model runs on: the GRU text autoencoder (the papers) or a frozen sentence embedding.

A method's latent model (prior, posterior, regulariser, encode modes) talks to its backbone through
five members only: ``hidden_size``, ``encode_hidden(batch) -> [B, hidden_size]``,
``reconstruction(batch, z) -> [B]`` (the reconstruction NLL per sentence), and, for TON's
pseudo-input prior, ``pseudo_inputs(n, length)`` / ``encode_pseudo(p)``.  :func:`backbone_for` picks
the backbone a config asks for, so the same latent model runs on either.
"""
from __future__ import annotations

from typing import Any

from torch import nn

from methods.backbones.embedding import EmbeddingBackbone
from methods.backbones.text import GRUBackbone, lecun_normal_
from methods.errors import MethodError

__all__ = ["EmbeddingBackbone", "GRUBackbone", "backbone_for", "dense", "lecun_normal_", "make_straightforward"]


def backbone_for(config: Any, vocab_size: int, eos_id: int, input_dim: int | None = None) -> nn.Module:
    """The backbone ``config`` asks for (``config.backbone``, default ``text``), sized by its fields."""
    kind = getattr(config, "backbone", "text")
    if kind == "text":
        return GRUBackbone(vocab_size, config.embed_dim, config.hidden_dim, config.latent_dim, eos_id)
    if kind == "embedding":
        if not input_dim:
            raise MethodError("the embedding backbone needs input_dim (the sentence embedding's size); "
                              "the harness passes it when a run uses --backbone embedding --encoder NAME")
        return EmbeddingBackbone(input_dim, config.hidden_dim, config.latent_dim, getattr(config, "embed_layers", 1))
    raise MethodError(f"unknown backbone {kind!r}; valid: text, embedding")


def dense(in_dim: int, out_dim: int) -> nn.Linear:
    """A linear head with the Keras defaults of the reference (glorot-uniform weights, zero bias)."""
    layer = nn.Linear(in_dim, out_dim)
    nn.init.xavier_uniform_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


def make_straightforward(model: nn.Module) -> nn.Module:
    """Switch every text backbone inside ``model`` to the straightforward padded computation."""
    for module in model.modules():
        if isinstance(module, GRUBackbone):
            module.straightforward = True
    return model
