"""The autoencoder's identity (torch-free): no hyperparameters beyond the backbone's sizes."""
from __future__ import annotations

from dataclasses import dataclass

from methods.declare import BackboneConfig, method


@method("ae", model="methods.ae.model:AE", modes=("code",), default_mode="code",
        description="deterministic autoencoder, linear code (control)")
@dataclass(frozen=True)
class AEConfig(BackboneConfig):
    """No hyperparameters beyond the backbone's sizes: reconstruction only."""
