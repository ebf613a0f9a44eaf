"""Deterministic autoencoder (the control): ``config`` (torch-free), ``model``."""
from __future__ import annotations

from sparsebench.deprecation import moved

#: Names this package had when it was one module (``methods/ae.py``), and the model's own names from the
#: package root: they still work, with a DeprecationWarning naming the new path.  Looked up lazily,
#: so ``import methods.ae.config`` stays torch-free and silent.
__getattr__ = moved(__name__, {
    "AE": "methods.ae.model:AE",
    "Autoencoder": "methods.ae.model:AE",
    "AEConfig": "methods.ae.config:AEConfig",
})
