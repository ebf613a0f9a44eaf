"""TopK's identity and hyperparameters (torch-free)."""
from __future__ import annotations

from dataclasses import dataclass

from methods.declare import BackboneConfig, method, param
from methods.errors import MethodError


@method("topk", model="methods.topk.model:TopK", modes=("code",), default_mode="code", exact_zeros=True,
        description="TopK sparse autoencoder (Gao et al. 2024): k largest of ReLU(W(x−b)+b), AuxK loss")
@dataclass(frozen=True)
class TopKConfig(BackboneConfig):
    """``k`` coordinates of each code may be non-zero (Gao et al.; CSR's default is 32); the AuxK
    loss (weight ``aux_weight`` = 1/32, ``k_aux`` latents, Gao et al.) reconstructs the residual
    from latents that have not fired for ``dead_steps`` optimiser steps (embedding backbone only:
    the text backbone has no residual vector).  ``embed_layers`` defaults to 0 here: a linear
    encoder and decoder, as the sparse-autoencoder papers."""

    embed_layers: int = param(0, ge=0, le=4)
    k: int = param(32, ge=1)
    k_aux: int = param(512, ge=0)
    aux_weight: float = param(1 / 32, ge=0)
    dead_steps: int = param(30, ge=1)

    def validate(self) -> None:
        if self.k > self.latent_dim:
            raise MethodError(f"{type(self).__name__}: k={self.k} must be at most latent_dim={self.latent_dim} "
                              f"(e.g. --set k={max(1, self.latent_dim // 4)} or a larger latent_dim)")
