"""Dense Gaussian VAE (the control): ``config`` (torch-free), ``model``."""
from __future__ import annotations

from sparsebench.deprecation import moved

#: Names this package had when it was one module (``methods/vae.py``), and the model's own names from the
#: package root: they still work, with a DeprecationWarning naming the new path.  Looked up lazily,
#: so ``import methods.vae.config`` stays torch-free and silent.
__getattr__ = moved(__name__, {
    "VAE": "methods.vae.model:VAE",
    "GaussianVAE": "methods.vae.model:VAE",
    "gaussian_kl_standard": "methods.vae.model:gaussian_kl_standard",
    "VAEConfig": "methods.vae.config:VAEConfig",
})
