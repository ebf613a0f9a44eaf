"""Named configurations of a method ("variants"): a method plus fixed settings, under their own name.

A comparison sometimes needs the same method twice with different settings, each a row of its own
that a reader can name: the dense VAE with HSVAE's KL weight (β = 0.01, as ψ = λ = 0.01) beside the
plain ELBO (β = 1).  A variant is used wherever a method name is (``--methods hsvae,vae,vae-beta0.01``);
its settings (hyperparameters, or training fields such as ``kl_warmup``) are scoped to its method and
win over ``--set``/``--grid`` keys of the same name.
Built-in variants are below; an experiment file adds its own under ``[variants.NAME]``.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Variant:
    name: str
    method: str
    settings: dict[str, str] = field(default_factory=dict)
    description: str = ""

    def overrides(self) -> tuple[tuple[str, str], ...]:
        return tuple(sorted((f"{self.method}.{k}", v) for k, v in self.settings.items()))


BUILTIN_VARIANTS: dict[str, Variant] = {
    "vae-beta0.01": Variant("vae-beta0.01", "vae", {"beta": "0.01"},
                            "dense VAE with HSVAE's KL weight (β = 0.01 = ψ = λ): the equal-weight control"),
}


def lookup(name: str, extra: dict[str, Variant] | None = None) -> Variant | None:
    return {**BUILTIN_VARIANTS, **(extra or {})}.get(name)
