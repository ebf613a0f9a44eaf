"""HSVAE (Prokhorov et al., RepL4NLP 2021): ``config`` (torch-free identity and hyperparameters), ``model``."""
from __future__ import annotations

from sparsebench.deprecation import moved

#: Names this package had when it was one module (``methods/hsvae.py``), and the model's own names from the
#: package root: they still work, with a DeprecationWarning naming the new path.  Looked up lazily,
#: so ``import methods.hsvae.config`` stays torch-free and silent.
__getattr__ = moved(__name__, {
    "HSVAE": "methods.hsvae.model:HSVAE",
    "EPS": "methods.hsvae.model:EPS",
    "BETA_PARAM_RANGE": "methods.hsvae.model:BETA_PARAM_RANGE",
    "HSVAEConfig": "methods.hsvae.config:HSVAEConfig",
})
