"""Deprecated import path: each method's Config now sits beside its model (``methods.<name>.config``);
``BackboneConfig`` is in :mod:`methods.base` (and :mod:`methods.declare`)."""
from __future__ import annotations

import warnings

from methods.ae.config import AEConfig  # noqa: F401
from methods.declare import BackboneConfig  # noqa: F401
from methods.hsvae.config import HSVAEConfig  # noqa: F401
from methods.mat.config import MATConfig  # noqa: F401
from methods.sparsemax.config import SparsemaxConfig  # noqa: F401
from methods.ton.config import TONConfig  # noqa: F401
from methods.vae.config import VAEConfig  # noqa: F401

warnings.warn("methods.configs is deprecated: import BackboneConfig from methods.base, and a method's Config "
              "from methods.<name>.config", DeprecationWarning, stacklevel=2)
