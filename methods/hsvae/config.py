"""HSVAE's identity and hyperparameters (torch-free, read by ``bench list`` and the config resolver)."""
from __future__ import annotations

from dataclasses import dataclass

from methods.declare import BackboneConfig, authors_code, harness, method, param, point, sweep

#: The reference repository's README example (the values the published single point uses).
README = authors_code("VictorProkhorov/HSVAE @ bf5e561, README.md usage example: --z_reg_weight 0.01 "
                      "--gamma_reg_weight 0.01 --temperature 0.5 --alpha 4 --beta 1")
ARGPARSE = authors_code("VictorProkhorov/HSVAE @ bf5e561, Scripts/Models/hsvae.py: argparse defaults "
                        "alpha = beta = 30 (dead: the arguments are required)")
COMMENTS = authors_code("VictorProkhorov/HSVAE @ bf5e561, Scripts/Models/hsvae.py: the comments `# 30` and "
                        "`#10` beside the Beta prior")


@method("hsvae", model="methods.hsvae.model:HSVAE",
        modes=("sample", "mean", "sparse_mean", "sparse_mean_draw"), default_mode="sample",
        stochastic_modes=("sample", "sparse_mean_draw"), deterministic_headline="sparse_mean",
        description="Hierarchical Sparse VAE (Prokhorov et al. 2021): Beta prior on spike probabilities")
@sweep(point("readme", alpha=(4.0, README), beta=(1.0, README), lam=(0.01, README)),
       point("beta30-30", alpha=(30.0, ARGPARSE), beta=(30.0, ARGPARSE), lam=(0.01, README)),
       point("beta30-10", alpha=(30.0, COMMENTS), beta=(10.0, COMMENTS), lam=(0.01, README)),
       point("lam1", alpha=(4.0, README), beta=(1.0, README),
             lam=(1.0, harness("equal-budget extension: the Beta-prior KL at weight 1, so that q(γ|x) is held "
                               "to the prior's fraction off"))),
       point("lam1-beta9-1", alpha=(9.0, harness("equal-budget extension: prior fraction off 0.9, sparser than "
                                                 "the README's 0.8")),
             beta=(1.0, README), lam=(1.0, harness("equal-budget extension: as point lam1"))),
       knobs={"alpha": "Beta prior on γ (off): α/(α+β) is the prior fraction of dimensions off",
              "beta": "Beta prior on γ (off), with alpha",
              "psi": "weight of KL_z (the code's informativeness)",
              "lam": "weight of the Beta KL (the sparsity level)"})
@dataclass(frozen=True)
class HSVAEConfig(BackboneConfig):
    """Beta(α, β) prior on each dimension's spike probability γ; α/(α+β) is the prior fraction *off*.

    ``psi`` weights KL_z, ``lam`` the Beta KL, ``temperature`` is the Binary Concrete τ (README example
    of the reference: α=4, β=1, ψ=λ=0.01, τ=0.5).  Two numerical safeguards are the harness's, not
    the reference code's, and are switchable (``std_head`` picks the slab std's parameterisation of the
    authors' 768-D code, softplus, or of their 32-D code, exp(½ log σ²)): ``beta_clip`` clips the Beta parameters to [0.5, 100]
    with a gradient-preserving clip (the fix the reference README gives for NaNs; off: softplus +
    1e-5 as the reference code), and ``std_floor`` is added to the slab std (the reference: 0).
    """

    alpha: float = param(4.0, gt=0)
    beta: float = param(1.0, gt=0)
    psi: float = param(0.01, ge=0)
    lam: float = param(0.01, ge=0)
    temperature: float = param(0.5, gt=0)
    beta_clip: bool = param(True)
    std_floor: float = param(1e-5, ge=0)
    #: The slab std's head: softplus (the current 768-D code) or exp(½ log σ²) (the earlier 32-D code).
    std_head: str = param("softplus", choices=("softplus", "exp"))
