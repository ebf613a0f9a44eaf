"""An L1 sparse autoencoder for sparsebench, shipped as a third-party plugin (see ``method.py``)."""
from __future__ import annotations

__version__ = "0.1.0"
