"""CSR's identity and hyperparameters (torch-free)."""
from __future__ import annotations

from dataclasses import dataclass

from methods.declare import BackboneConfig, method, param
from methods.errors import MethodError


@method("csr", model="methods.csr.model:CSR", modes=("code",), default_mode="code", exact_zeros=True,
        backbones=("embedding",),
        description="CSR (Wen et al. 2025) via sentence-transformers' SparseAutoEncoder + CSR reconstruction loss")
@dataclass(frozen=True)
class CSRConfig(BackboneConfig):
    """``latent_dim`` is the dictionary size (CSR's default: 4 × the embedding size), ``k`` the active
    latents per code, ``k_aux``/``dead_threshold`` its AuxK settings and ``beta`` the AuxK weight
    (sentence-transformers' ``CSRLoss`` defaults).  Embedding backbone only."""

    backbone: str = param("embedding", choices=("embedding",), doc="CSR is an autoencoder of a sentence embedding")
    k: int = param(32, ge=1)
    k_aux: int = param(512, ge=0)
    beta: float = param(0.1, ge=0)
    dead_threshold: int = param(30, ge=1)

    def validate(self) -> None:
        if 4 * self.k > self.latent_dim:
            raise MethodError(f"csr: 4·k = {4 * self.k} must be at most latent_dim={self.latent_dim} (CSR also "
                              f"reconstructs from the top 4k latents); e.g. --set csr.k={max(1, self.latent_dim // 4)}")
        if self.k_aux > self.latent_dim:
            raise MethodError(f"csr: k_aux={self.k_aux} must be at most latent_dim={self.latent_dim}; "
                              f"e.g. --set csr.k_aux={self.latent_dim // 2}")
