"""Deprecated import path: the straightforward padded backbone is an option of the shared backbone.

``methods.backbones.make_straightforward(model)`` switches every text backbone inside ``model`` to
the straightforward computation (``GRUBackbone(..., straightforward=True)``); ``PaddedBackbone`` is
kept as a GRUBackbone built that way.
"""
from __future__ import annotations

import warnings

from methods.backbones import GRUBackbone, make_straightforward  # noqa: F401

warnings.warn("bench.baseline is deprecated; use methods.backbones.make_straightforward, or "
              "GRUBackbone(..., straightforward=True) instead of PaddedBackbone", DeprecationWarning, stacklevel=2)


class PaddedBackbone(GRUBackbone):
    """The shared text backbone, computing the straightforward padded way (same function, slower)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("straightforward", True)
        super().__init__(*args, **kwargs)
