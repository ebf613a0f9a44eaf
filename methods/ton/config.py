"""TON's identity and hyperparameters (torch-free)."""
from __future__ import annotations

from dataclasses import dataclass

from methods.declare import BackboneConfig, method, param
from methods.errors import MethodError


@method("ton", model="methods.ton.model:TON", modes=("mean", "sample"), default_mode="mean",
        stochastic_modes=("sample",),
        description="Variational Sparse Coding (Tonolini et al. 2020): spike-and-slab, pseudo-input prior")
@dataclass(frozen=True)
class TONConfig(BackboneConfig):
    """``alpha`` is the target fraction of *active* dimensions; the slab warm-up ramps λ from 0 at
    ``warmup_start`` to 1 at ``warmup_end``, as fractions of the run's optimiser steps (the paper:
    15k steps at λ = 0, then a 5k ramp, in a 70k-step run ≈ 0.21 → 0.29); the learning rate drops
    ×``lr_drop`` from ``lr_drop_at`` (the paper: after 20k of 70k steps, 1e-3 → 1e-4; 1 disables it);
    ``c`` is the sigmoid relaxation constant of the step function; ``nu`` sharpens the pseudo-inputs'
    activity."""

    alpha: float = param(0.01, gt=0, lt=1)
    n_pseudo: int = param(20, ge=1)
    pseudo_length: int = param(10, ge=1)
    nu: float = param(10.0, gt=0)
    c: float = param(100.0, gt=0)
    warmup_start: float = param(0.21, ge=0, le=1)
    warmup_end: float = param(0.29, ge=0, le=1)
    lr_drop_at: float = param(0.29, ge=0, le=1)
    lr_drop: float = param(0.1, gt=0, le=1)

    def validate(self) -> None:
        if self.warmup_end < self.warmup_start:
            raise MethodError(f"ton: warmup_end={self.warmup_end} must be ≥ warmup_start={self.warmup_start} "
                              "(both are fractions of the run's optimiser steps)")
