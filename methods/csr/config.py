"""CSR's identity and hyperparameters (torch-free)."""
from __future__ import annotations

from dataclasses import dataclass

from methods.declare import BackboneConfig, SparseAutoencoder, method, param, sweep
from methods.errors import MethodError
from methods.topk.config import K_KNOBS, K_POINTS, SAESizes


@sweep(*K_POINTS, knobs=K_KNOBS)
@method("csr", model="methods.csr.model:CSR", modes=("code",), default_mode="code", exact_zeros=True,
        backbones=("embedding",),
        sparse_autoencoder=SparseAutoencoder(dictionary="latent_dim", active="k"),
        description="CSR (Wen et al. 2025) via sentence-transformers' SparseAutoEncoder + CSR reconstruction loss; "
                    "dictionary expansion × input (default 4×), k active")
@dataclass(frozen=True)
class CSRConfig(SAESizes, BackboneConfig):
    """CSR's sparse autoencoder as sentence-transformers configures it (``SparseAutoEncoder`` + ``CSRLoss``).

    - ``latent_dim``: the dictionary (the library's ``hidden_dim``); 0 (the default) is ``expansion ×
      max(input size, k)`` with ``expansion = 4``: CSR's 4 × the embedding size (e.g. 4096 → 16384 in
      the released CSR models).
    - ``k`` = 32 active latents per code (the released models' k); the presets set it to their
      ``latent_dim`` so every method of a run has the same number of active dimensions.  CSR also
      reconstructs from the top 4k latents, so the dictionary must hold at least 4k.
    - AuxK: ``k_aux`` = 512 dead latents at most (with fewer, all of them), ``dead_threshold`` = 30
      steps, weight ``beta`` = 0.1 (``CSRReconstructionLoss``'s default).
    Embedding backbone only.
    """

    latent_dim: int = param(0, ge=0, doc="dictionary size (hidden_dim); 0: expansion × max(input size, k)")
    expansion: int = param(4, ge=1, doc="dictionary ÷ input size when latent_dim = 0")
    backbone: str = param("embedding", choices=("embedding",), doc="CSR is an autoencoder of a sentence embedding")
    k: int = param(32, ge=1, doc="active latents per code")
    k_aux: int = param(512, ge=0, doc="AuxK: at most this many dead latents reconstruct the residual")
    beta: float = param(0.1, ge=0, doc="AuxK weight")
    dead_threshold: int = param(30, ge=1, doc="steps without firing after which a latent is dead")

    def validate(self) -> None:
        self.check_sizes()

    def check_sizes(self) -> None:
        if self.latent_dim and 4 * self.k > self.latent_dim:
            raise MethodError(f"csr: 4·k = {4 * self.k} must be at most the dictionary size latent_dim={self.latent_dim} "
                              f"(CSR also reconstructs from the top 4k latents); e.g. --set csr.latent_dim=0 "
                              f"(expansion × the input size) or --set csr.k={max(1, self.latent_dim // 4)}")
