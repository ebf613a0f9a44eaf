"""MAT-VAE (Mathieu et al., ICML 2019): ``config`` (torch-free identity and hyperparameters), ``model``."""
from __future__ import annotations

from sparsebench.deprecation import moved

#: Names this package had when it was one module (``methods/mat.py``), and the model's own names from the
#: package root: they still work, with a DeprecationWarning naming the new path.  Looked up lazily,
#: so ``import methods.mat.config`` stays torch-free and silent.
__getattr__ = moved(__name__, {
    "MAT": "methods.mat.model:MAT",
    "MATVAE": "methods.mat.model:MAT",
    "MATConfig": "methods.mat.config:MATConfig",
})
