"""TON / Variational Sparse Coding (Tonolini et al., UAI 2019): ``config`` (torch-free), ``model``."""
from __future__ import annotations

from sparsebench.deprecation import moved

#: Names this package had when it was one module (``methods/ton.py``), and the model's own names from the
#: package root: they still work, with a DeprecationWarning naming the new path.  Looked up lazily,
#: so ``import methods.ton.config`` stays torch-free and silent.
__getattr__ = moved(__name__, {
    "TON": "methods.ton.model:TON",
    "VSC": "methods.ton.model:TON",
    "EPS": "methods.ton.model:EPS",
    "STD_FLOOR": "methods.ton.model:STD_FLOOR",
    "TONConfig": "methods.ton.config:TONConfig",
})
