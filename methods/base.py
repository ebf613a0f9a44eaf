"""The one interface every method implements, so that differences come from the latent model alone.

A method is an ``nn.Module`` built from ``(config, vocab_size, eos_id)`` (plus ``input_dim`` on the
embedding backbone); the harness trains it by minimising ``loss(batch).total`` and reads codes with
``encode(batch, mode)``.  Modes are declared, because "mean" means something different in every
paper and each reported number names its mode.  A built-in declares its name and modes once, on its
Config (:func:`methods.declare.method`); this class reads them from there.

The public plugin API is this module (``SparseEncoder``, ``Batch``, ``LossOutput``, ``BackboneConfig``),
:mod:`methods.backbones` (``backbone_for``, ``dense``) and :mod:`methods.errors`.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from methods.declare import BackboneConfig, MethodIdentity, SparseAutoencoder, check_config, identity_of

__all__ = ["Batch", "LossOutput", "SparseEncoder", "BackboneConfig", "SparseAutoencoder"]


@dataclass
class Batch:
    """Post-padded token ids (``<pad>`` = 0), each sentence ending with ``<EOS>``; ``lengths`` counts non-pad ids.

    On the embedding backbone ``inputs`` holds the frozen sentence embeddings ``[B, input_dim]`` and
    ``tokens`` may be empty (``[B, 0]``).
    """

    tokens: Tensor  # [B, T] int64
    lengths: Tensor  # [B] int64, on CPU (host lengths: no device sync to read them)
    labels: Tensor | None = None
    inputs: Tensor | None = None  # [B, input_dim] float, embedding backbone only

    @property
    def size(self) -> int:
        return int(self.tokens.shape[0])

    def to(self, device: torch.device | str) -> "Batch":
        labels = None if self.labels is None else self.labels.to(device)
        inputs = None if self.inputs is None else self.inputs.to(device, non_blocking=True)
        return Batch(self.tokens.to(device, non_blocking=True), self.lengths, labels, inputs)


@dataclass
class LossOutput:
    """``total`` is what the optimiser minimises; ``terms`` names each part (per-sentence means).

    ``terms["recon"]`` is always the reconstruction term per sentence (summed token cross-entropy on
    the text backbone, Gaussian NLL of the embedding on the embedding backbone), so that
    reconstruction is comparable across methods.  ``kl_per_dim`` (``[latent_dim]``, batch mean) is
    the KL of each code dimension for methods that have one, so that collapsed dimensions are visible.
    """

    total: Tensor
    terms: dict[str, Tensor] = field(default_factory=dict)
    kl_per_dim: Tensor | None = None


class SparseEncoder(nn.Module, ABC):
    name: ClassVar[str] = ""
    Config: ClassVar[type]
    modes: ClassVar[tuple[str, ...]] = ()
    default_mode: ClassVar[str] = ""
    #: Modes whose codes are random draws (two encodings of one sentence differ).
    stochastic_modes: ClassVar[tuple[str, ...]] = ()
    #: True when codes contain exact zeros by construction (exact L0 is then meaningful).
    exact_zeros: ClassVar[bool] = False
    #: Modes whose activity the latent model reports itself through :meth:`encode_with_activity`,
    #: with a one-line description of the rule; other modes are read by the harness's rule
    #: (``z ≠ 0`` for exact-zero methods, else a threshold on the raw code).
    activity_rules: ClassVar[dict[str, str]] = {}
    #: One line for the description column of ``bench list methods`` (default: the docstring's first line).
    description: ClassVar[str] = ""
    #: Backbones the method can run on; a plugin that builds its backbone with
    #: ``methods.backbones.backbone_for`` can declare ``("text", "embedding")``.
    backbones: ClassVar[tuple[str, ...]] = ("text",)
    #: Set for a sparse autoencoder (:class:`methods.declare.SparseAutoencoder`): which Config field is its
    #: dictionary and which its active latents per code; presets and reference rows read it.
    sparse_autoencoder: ClassVar[Any] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        config = cls.__dict__.get("Config")
        identity = identity_of(config) if isinstance(config, type) else None
        if identity is not None:
            cls._identity = identity
            cls.name = identity.name
            cls.modes = identity.modes
            cls.default_mode = identity.default_mode
            cls.stochastic_modes = identity.stochastic_modes
            cls.exact_zeros = identity.exact_zeros
            cls.backbones = identity.backbones
            cls.description = identity.description
            cls.sparse_autoencoder = identity.sparse_autoencoder

    @classmethod
    def identity(cls) -> MethodIdentity:
        """The method's identity: declared on its Config, or read from a plugin's class attributes."""
        declared = getattr(cls, "_identity", None)
        if declared is not None and declared.name == cls.name:
            return declared
        return MethodIdentity(cls.name, f"{cls.__module__}:{cls.__qualname__}", tuple(cls.modes), cls.default_mode,
                              tuple(cls.stochastic_modes),
                              cls.description or (cls.__doc__ or "").strip().split("\n")[0],
                              bool(cls.exact_zeros), backbones=tuple(cls.backbones),
                              sparse_autoencoder=cls.sparse_autoencoder)

    def __init__(self, config: Any, vocab_size: int, eos_id: int, *, input_dim: int | None = None) -> None:
        super().__init__()
        owner = self.name or type(self).__name__
        check_config(config, owner, f"{owner}.")  # declared ranges, for direct builds too
        self.config = config
        self.vocab_size = vocab_size
        self.eos_id = eos_id
        self.input_dim = input_dim

    @abstractmethod
    def loss(self, batch: Batch) -> LossOutput:
        """Training objective on one batch (uses the module's train/eval mode for sampling)."""

    @abstractmethod
    def encode(self, batch: Batch, mode: str | None = None) -> Tensor:
        """Codes ``[B, latent_dim]`` for ``mode`` (default: ``default_mode``)."""

    def encode_with_activity(self, batch: Batch, mode: str | None = None) -> tuple[Tensor, Tensor | None]:
        """Codes and, for modes in :attr:`activity_rules`, which entries are active (``[B, D]`` in [0, 1]).

        The activity must come from the same draw as the codes.  The default reports none, and the
        harness reads activity from the codes.
        """
        return self.encode(batch, mode), None

    def plan_training(self, total_steps: int) -> None:
        """Told once, before the first step, how many optimiser steps the run will take.

        Methods whose schedule is defined relative to the run (TON's slab warm-up) override this;
        the default does nothing.  A method must still work when it is never called (no schedule).
        """

    def lr_scale(self, step: int) -> float:
        """Multiplier of the base learning rate at optimiser step ``step`` (0-based); 1 by default.

        TON's schedule drops the rate ×0.1 late in the run; the training loop applies this.
        """
        return 1.0

    def check_mode(self, mode: str | None) -> str:
        mode = mode or self.default_mode
        if mode not in self.modes:
            from methods.errors import MethodError

            raise MethodError(f"method {self.name!r} has no encode mode {mode!r}; its modes: {', '.join(self.modes)}")
        return mode

    @property
    def latent_dim(self) -> int:
        return int(self.config.latent_dim)


def interface_problems(cls: Any) -> list[str]:
    """What keeps ``cls`` from being a method the harness can run (empty when it can): one check for
    the registry (on load) and the conformance suite."""
    import dataclasses

    from methods.declare import identity_problems

    if not (isinstance(cls, type) and issubclass(cls, SparseEncoder)):
        return ["is not a subclass of methods.base.SparseEncoder"]
    config = getattr(cls, "Config", None)
    problems = []
    if not dataclasses.is_dataclass(config):
        problems.append("has no `Config` dataclass of hyperparameters")
    else:
        try:
            config()
        except Exception as exc:  # noqa: BLE001 - any failure to build the defaults is the plugin's
            problems.append(f"Config() must build from its defaults alone ({type(exc).__name__}: {exc})")
        if "latent_dim" not in {f.name for f in dataclasses.fields(config)}:
            problems.append("Config needs a latent_dim field (inherit methods.base.BackboneConfig)")
    problems += identity_problems(cls.name, cls.modes, cls.default_mode, cls.stochastic_modes)
    unknown = [m for m in cls.activity_rules if m not in cls.modes]
    if unknown:
        problems.append(f"activity_rules name modes it does not have: {unknown}")
    return problems
