"""TopK's identity and hyperparameters (torch-free)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from methods.declare import BackboneConfig, SparseAutoencoder, SweepPoint, harness, method, param, point, sweep
from methods.errors import MethodError


def dictionary_size(config: Any, input_dim: int | None) -> int:
    """The dictionary a sparse autoencoder config asks for, given what it encodes.

    ``latent_dim > 0`` is taken as it is.  ``latent_dim = 0`` means ``expansion × max(input, k)``:
    a multiple of the input size (the sentence embedding, or the GRU state of the text backbone
    when ``input_dim`` is None), as the sparse-autoencoder papers size their dictionaries, and never
    smaller than ``expansion × k`` (so CSR's 4k latents exist for any k).
    """
    if config.latent_dim:
        return int(config.latent_dim)
    base = input_dim if input_dim else config.hidden_dim
    return int(config.expansion) * max(int(base), int(config.k))


class SAESizes:
    """Mixin of the sparse-autoencoder Configs: a dictionary sized from the input, made explicit once.

    Why: on the embedding backbone the dictionary is a hyperparameter of its own (a multiple of the
    embedding size), while the methods are compared at matched *active* dimensions: the presets set
    ``k`` to their ``latent_dim`` and leave the dictionary to ``expansion`` (``bench.config.presets``).  The
    input size is known only once the encoder is resolved, so :meth:`sized_for` turns
    ``latent_dim = 0`` into the explicit size; the harness calls it before any cell starts (the
    record and the hash then hold the real size), and the model calls it again for direct builds.
    """

    def sized_for(self, input_dim: int | None) -> Any:
        """This config with the dictionary size explicit (``latent_dim > 0``), checked against ``k``."""
        size = dictionary_size(self, input_dim)
        sized = dataclasses.replace(self, latent_dim=size) if size != self.latent_dim else self
        sized.check_sizes()
        return sized

    def check_sizes(self) -> None:
        name = getattr(type(self), "__method__", None)
        name = name.name if name is not None else type(self).__name__
        if self.latent_dim and self.k > self.latent_dim:
            raise MethodError(
                f"{name}: k={self.k} active latents must be at most the dictionary size latent_dim={self.latent_dim}; "
                f"for a sparse autoencoder latent_dim is the dictionary (0: expansion × the input size) and k the "
                f"active latents per code: e.g. --set {name}.latent_dim=0 or --set {name}.k={max(1, self.latent_dim // 4)}")


#: The sweep of every sparse autoencoder (TopK, BatchTopK, CSR): the active latents per code, k.  A
#: point's k is a scoped override, so it wins over the presets' ``k`` (their ``latent_dim``); the
#: dictionary stays ``expansion`` × the input (``latent_dim = 0``), which holds 4k for every k here.
K_POINTS: tuple[SweepPoint, ...] = (
    point("k32", k=(32, harness("the presets' matched active-dimension budget (latent_dim 32 of the cpu and "
                                "reference presets); the Config's default"))),
    *(point(f"k{k}", k=(k, harness("equal-budget extension"))) for k in (4, 8, 16, 64)),
)
K_KNOBS = {"k": "active latents per code (BatchTopK: per code on average)"}


@sweep(*K_POINTS, knobs=K_KNOBS)
@method("topk", model="methods.topk.model:TopK", modes=("code",), default_mode="code", exact_zeros=True,
        sparse_autoencoder=SparseAutoencoder(dictionary="latent_dim", active="k"),
        description="TopK sparse autoencoder (Gao et al. 2024): the k largest of W(x−b)+b, ReLU, AuxK loss; "
                    "dictionary expansion × input (default 4×), k active")
@dataclass(frozen=True)
class TopKConfig(SAESizes, BackboneConfig):
    """A TopK sparse autoencoder's sizes and its AuxK dead-latent loss (Gao et al. 2024).

    - ``latent_dim``: the dictionary size (the code has that many coordinates); 0 (the default) is
      ``expansion × max(input size, k)`` with ``expansion = 4``: a multiple of the input, as Gao et
      al. (16×–256× for language-model activations) and CSR (4× for sentence embeddings, the
      sentence-transformers recipe) size it.
    - ``k``: the active latents per code, exactly k (fewer only when fewer than k pre-activations are
      positive).  Default 32 (CSR's k; Gao et al. train k = 32 among others).  The presets set ``k``
      to their ``latent_dim`` (16 smoke, 32 cpu/paper) so that every method of a run has the same
      number of active dimensions per code; sweep it with ``--grid topk.k=8,16,32``.
    - AuxK (embedding backbone with its linear decoder only: the text backbone has no residual
      vector, an MLP decoder no decoder column per latent): the residual is
      reconstructed from the ``k_aux`` largest pre-activations among latents that have not fired
      for ``dead_steps`` optimiser steps, weighted ``aux_weight`` = 1/32 (Gao et al.: k_aux = 512,
      α = 1/32); with fewer dead latents than ``k_aux`` all of them are used.
    - ``embed_layers = 0``: a linear encoder and decoder, as the sparse-autoencoder papers.
    """

    latent_dim: int = param(0, ge=0, doc="dictionary size; 0: expansion × max(input size, k)")
    expansion: int = param(4, ge=1, doc="dictionary ÷ input size when latent_dim = 0")
    embed_layers: int = param(0, ge=0, le=4, doc="hidden layers of the embedding backbone's MLPs (0: linear)")
    k: int = param(32, ge=1, doc="active latents per code")
    k_aux: int = param(512, ge=0, doc="AuxK: at most this many dead latents reconstruct the residual")
    aux_weight: float = param(1 / 32, ge=0, doc="AuxK weight α")
    dead_steps: int = param(30, ge=1, doc="steps without firing after which a latent is dead")

    def validate(self) -> None:
        self.check_sizes()
