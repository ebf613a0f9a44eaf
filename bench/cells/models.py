"""Building a method's model for a cell: the one place that turns a resolved config and data into a module.

``bench run`` (cells), ``bench profile`` and rescoring all build through :func:`build_model`, so the
vocabulary size, the corpus's real ``<EOS>`` id and, on the embedding backbone, the embedding size
are always those of the data the model sees.
"""
from __future__ import annotations

import io
from typing import Any

import torch

from bench.data.prepare import DataShape
from methods.base import SparseEncoder
from methods.registry import get_method


def build_model(method: str, method_config: dict[str, Any], shape: DataShape, *, straightforward: bool = False
                ) -> SparseEncoder:
    """The method's model from its resolved hyperparameters; ``straightforward`` selects the padded baseline
    backbone (same function, slower: ``bench profile --baseline`` and the equivalence test)."""
    cls = get_method(method).load()
    config = cls.Config(**method_config)
    if method_config.get("backbone", "text") == "embedding":
        model = cls(config, shape.vocab_size, shape.eos_id, input_dim=shape.input_dim)
    else:
        model = cls(config, shape.vocab_size, shape.eos_id)
    if straightforward:
        from methods.backbones import make_straightforward

        make_straightforward(model)
    return model


def weights_bytes(model: SparseEncoder) -> bytes:
    """The model's state dict, serialised (weights and buffers only; loaded back with ``weights_only``)."""
    buffer = io.BytesIO()
    torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, buffer)
    return buffer.getvalue()


def load_weights(model: SparseEncoder, data: bytes) -> SparseEncoder:
    model.load_state_dict(torch.load(io.BytesIO(data), map_location="cpu", weights_only=True))
    return model
