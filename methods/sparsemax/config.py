"""The sparsemax autoencoder's identity and hyperparameters (torch-free)."""
from __future__ import annotations

from dataclasses import dataclass

from methods.declare import BackboneConfig, method, param


@method("sparsemax", model="methods.sparsemax.model:Sparsemax", modes=("code",), default_mode="code",
        exact_zeros=True,
        description="Sparsemax Seq2Seq (Trifonov et al. 2018): code = κ·p/‖p‖₂, p = sparsemax(Wh+b), exact zeros")
@dataclass(frozen=True)
class SparsemaxConfig(BackboneConfig):
    """``kappa`` scales the simplex code (0 means √latent_dim); ``learn_kappa`` makes it a parameter;
    ``norm`` is the norm the scaling fixes at κ (``l2``: the code's length, the same for every support;
    ``l1``: κ·sparsemax, whose length grows toward a vertex and drives the code one-hot, see the model)."""

    kappa: float = param(0.0, ge=0)
    learn_kappa: bool = param(False)
    norm: str = param("l2", choices=("l2", "l1"),
                      doc="the code's norm fixed at κ: l2 (its length, any support) or l1 (κ·sparsemax, collapses to one-hot)")
