"""The sparsemax autoencoder's identity and hyperparameters (torch-free)."""
from __future__ import annotations

from dataclasses import dataclass

from methods.declare import BackboneConfig, harness, method, paper, param, point, sweep


@method("sparsemax", model="methods.sparsemax.model:Sparsemax", modes=("code",), default_mode="code",
        exact_zeros=True,
        description="Sparsemax Seq2Seq (Trifonov et al. 2018): code = κ·p/‖p‖₂, p = sparsemax(Wh+b), exact zeros")
@sweep(point("sparsemax", entmax_alpha=(2.0, paper("Trifonov et al. 2018: sparsemax (Martins & Astudillo "
                                                   "2016), which is 2-entmax"))),
       point("entmax1.25", entmax_alpha=(1.25, harness("equal-budget extension: denser, toward softmax"))),
       point("entmax1.5", entmax_alpha=(1.5, harness("equal-budget extension: the entmax package's entmax15 "
                                                     "(deep-spin/entmax)"))),
       point("entmax2.5", entmax_alpha=(2.5, harness("equal-budget extension: sparser than sparsemax"))),
       point("entmax3", entmax_alpha=(3.0, harness("equal-budget extension: sparser than sparsemax"))),
       knobs={"entmax_alpha": "α of the α-entmax map (2 = sparsemax; lower denser, higher sparser)"})
@dataclass(frozen=True)
class SparsemaxConfig(BackboneConfig):
    """``kappa`` scales the simplex code (0 means √latent_dim); ``learn_kappa`` makes it a parameter;
    ``norm`` is the norm the scaling fixes at κ (``l2``: the code's length, the same for every support;
    ``l1``: κ·sparsemax, whose length grows toward a vertex and drives the code one-hot, see the model).

    ``entmax_alpha`` replaces sparsemax by α-entmax (the ``entmax`` package): 2 is sparsemax (the
    method), α → 1 approaches softmax (dense), a larger α gives sparser maps; 1.5 is the package's
    ``entmax15``.  The paper fixes the sparsifier, not how sparse it is, so this is the harness's
    sparsity knob for the method's sweep; added after results were published, it is left out of a
    cell's id at 2."""

    kappa: float = param(0.0, ge=0)
    learn_kappa: bool = param(False)
    norm: str = param("l2", choices=("l2", "l1"),
                      doc="the code's norm fixed at κ: l2 (its length, any support) or l1 (κ·sparsemax, collapses to one-hot)")
    entmax_alpha: float = param(2.0, gt=1, omit_default=True,
                                doc="α of the α-entmax map: 2 = sparsemax, → 1 denser (softmax), > 2 sparser")
