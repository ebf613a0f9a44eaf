"""The autoencoder's identity (torch-free): no hyperparameters beyond the backbone's sizes."""
from __future__ import annotations

from dataclasses import dataclass

from methods.declare import BackboneConfig, method, sweep


@method("ae", model="methods.ae.model:AE", modes=("code",), default_mode="code",
        description="deterministic autoencoder, linear code (control)")
@sweep(control="no sparsity or regularisation knob: the dense reconstruction-only control")
@dataclass(frozen=True)
class AEConfig(BackboneConfig):
    """No hyperparameters beyond the backbone's sizes: reconstruction only."""
