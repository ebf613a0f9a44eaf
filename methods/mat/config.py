"""MAT-VAE's identity and hyperparameters (torch-free)."""
from __future__ import annotations

from dataclasses import dataclass

from methods.declare import BackboneConfig, authors_code, harness, method, param, point, sweep

#: MAT-VAE's usage line in the HSVAE repository: the HSVAE example's Beta-prior arguments, in no paper.
README = authors_code("VictorProkhorov/HSVAE @ bf5e561, README.md usage example of Scripts/Models/mat_vae.py: "
                      "--alpha 4 --beta 1")
#: Mathieu et al.'s own sparsity runs (Fashion-MNIST, an image likelihood): alpha in {0, 100}, beta = 1.
SPARSITY_SH = authors_code("iffsid/disentangling-disentanglement @ 3396d40, "
                           "src/experimental_settings/sparsity.sh: alpha in {0, 100}, beta = 1, gamma in {0, 0.8}")
LOW_BETA = harness("equal-budget extension: the KL at HSVAE's weight psi = 0.01; at beta = 1 the code collapses "
                   "on the text protocol (results/reference/README.md, text track)")


@method("mat", model="methods.mat.model:MAT", modes=("mean", "sample"), default_mode="mean",
        stochastic_modes=("sample",),
        description="MAT-VAE (Mathieu et al. 2019): Gaussian posterior, spike-and-slab prior, KL + MMD")
@sweep(point("readme", alpha=(4.0, README), beta=(1.0, README)),
       point("sparsity.sh", alpha=(100.0, SPARSITY_SH), beta=(1.0, SPARSITY_SH)),
       point("beta0.01", alpha=(4.0, README), beta=(0.01, LOW_BETA)),
       point("alpha100-beta0.01", alpha=(100.0, SPARSITY_SH), beta=(0.01, LOW_BETA)),
       point("alpha0-beta0.01", alpha=(0.0, SPARSITY_SH), beta=(0.01, LOW_BETA)),
       knobs={"alpha": "weight of the MMD between the aggregate posterior and the sparse prior",
              "beta": "weight of the KL to the spike-and-slab prior",
              "gamma": "the prior's spike weight (fraction of dimensions off)"})
@dataclass(frozen=True)
class MATConfig(BackboneConfig):
    """``beta`` weights the Monte-Carlo KL to the fixed spike-and-slab prior, ``alpha`` the IMQ MMD;
    ``gamma`` is the prior's spike weight (dimension *off*)."""

    alpha: float = param(4.0, ge=0)
    beta: float = param(1.0, ge=0)
    gamma: float = param(0.8, gt=0, lt=1)
