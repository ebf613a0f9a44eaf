"""Sparsemax autoencoder (after Trifonov et al., BlackboxNLP 2018): ``config`` (torch-free), ``model``."""
from __future__ import annotations

from sparsebench.deprecation import moved

#: Names this package had when it was one module (``methods/sparsemax.py``), and the model's own names from the
#: package root: they still work, with a DeprecationWarning naming the new path.  Looked up lazily,
#: so ``import methods.sparsemax.config`` stays torch-free and silent.
__getattr__ = moved(__name__, {
    "Sparsemax": "methods.sparsemax.model:Sparsemax",
    "SparsemaxAE": "methods.sparsemax.model:Sparsemax",
    "SparsemaxConfig": "methods.sparsemax.config:SparsemaxConfig",
})
