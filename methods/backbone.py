"""Deprecated import path: use :mod:`methods.backbones` (``backbone_for``, ``dense``, ``GRUBackbone``)."""
from __future__ import annotations

import warnings

from methods.backbones import GRUBackbone, backbone_for, dense, lecun_normal_  # noqa: F401

warnings.warn("methods.backbone is deprecated; import from methods.backbones instead", DeprecationWarning,
              stacklevel=2)
