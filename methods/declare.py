"""How a method declares itself without importing torch: identity, hyperparameters with valid ranges, sizes.

Everything ``bench list``, the config resolver and the registry need to know about a method lives on
its ``Config`` dataclass, so that listing methods or refusing a bad ``--set`` costs no torch import
and no model build.  A built-in declares its identity once, with :func:`method` on its Config; the
model class reads it from there (``SparseEncoder.__init_subclass__``).  A plugin may do the same, or
keep setting ``name``/``modes``/``default_mode`` on its class.

Valid ranges are declared with :func:`sparsebench.params.param` beside each field and checked by
:func:`sparsebench.params.check_config` wherever a configuration is resolved, for built-ins and
plugins alike, so that ``latent_dim=0`` or ``lr=nan`` is one line and exit code 2 before anything trains.

A method's sparsity and regularisation knobs and its default sweep (an ordered list of points, every
value with its source) are declared the same way, with :func:`methods.sweeps.sweep` on the Config.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from methods.errors import MethodError
from methods.sweeps import (EQUAL_BUDGET, Sweep, SweepPoint, authors_code, harness, paper, point,  # noqa: F401
                            sweep, sweep_of)  # re-exported: a Config declares its sweep beside its identity
from sparsebench.params import Range, check_config, field_range, param  # noqa: F401  (re-exported)

#: The backbones a latent model can run on: the papers' GRU text autoencoder, or a frozen sentence
#: embedding with small MLPs (or linear maps) around the latent model.
BACKBONES = ("text", "embedding")


@dataclass(frozen=True)
class BackboneConfig:
    """Sizes of the shared backbone (HSVAE's Yahoo/DBpedia code: embedding 256, GRU 512, latent 32).

    ``backbone`` chooses where the latent model sits: ``text`` (the GRU autoencoder of the papers,
    trained from scratch) or ``embedding`` (a frozen sentence embedding in, an MLP encoder and
    decoder of ``embed_layers`` hidden layers of ``hidden_dim`` units around the latent model, a
    Gaussian reconstruction of the embedding out).  ``embed_dim`` is the word-embedding size of the
    text backbone and unused on the embedding one.
    """

    embed_dim: int = param(256, ge=1, doc="word embedding size (text backbone)")
    hidden_dim: int = param(512, ge=1, doc="GRU units (text) or MLP units (embedding)")
    latent_dim: int = param(32, ge=2, doc="code dimensions")
    backbone: str = param("text", choices=BACKBONES, doc="text: GRU autoencoder; embedding: frozen encoder")
    embed_layers: int = param(1, ge=0, le=4, doc="hidden layers of the embedding backbone's MLPs (0: linear)")
    #: The embedding backbone's frozen sentence encoder, by name or folder.  Set and swept like any field
    #: (``--set encoder=NAME``, ``--grid encoder=A,B``; ``--encoder NAME`` is its default); the harness
    #: records what the encoder computes (its resolved identity), not the name, and a model never reads it.
    encoder: str = param("", omit_default=True,
                         doc="frozen sentence encoder of the embedding backbone: a name (all-MiniLM-L6-v2) or a folder")


@dataclass(frozen=True)
class SparseAutoencoder:
    """What makes a method a sparse autoencoder, declared on it (``@method(..., sparse_autoencoder=...)``).

    Its ``dictionary`` field (``latent_dim``) is the dictionary, not the code's budget: 0 means sized
    from the input (its ``expansion`` × the input size); its ``active`` field (``k``) is the number of
    active latents per code, the budget it is compared at.  The harness reads both from here: a preset's
    ``latent_dim`` (every other method's code size) becomes a sparse autoencoder's ``active`` with its
    dictionary left to ``expansion`` (``bench.config.presets``), and a reference row beside it projects
    to ``active`` dimensions, not to the dictionary (``bench.cells.reference``).
    """

    dictionary: str = "latent_dim"
    active: str = "k"

    def budget(self, method_config: Mapping[str, Any]) -> int:
        """The active latents per code of a resolved configuration."""
        return int(method_config[self.active])


@dataclass(frozen=True)
class MethodIdentity:
    """What a method is, declared once: registry name, model class, encode modes and their kinds."""

    name: str
    model: str  # "package.module:Class", imported only when the method is built
    modes: tuple[str, ...]
    default_mode: str
    #: Modes that draw randomness: several encodings of one sentence differ (the Hoyer ratio averages them).
    stochastic_modes: tuple[str, ...] = ()
    description: str = ""
    #: True when codes contain exact zeros by construction (exact L0 is then meaningful).
    exact_zeros: bool = False
    #: The mode compared with other methods' modes of the same kind (deterministic vs stochastic).
    deterministic_headline: str | None = None
    backbones: tuple[str, ...] = BACKBONES
    #: Set for a sparse autoencoder: which field is its dictionary and which its active budget.
    sparse_autoencoder: SparseAutoencoder | None = None

    def __post_init__(self) -> None:
        problems = identity_problems(self.name, self.modes, self.default_mode, self.stochastic_modes)
        if self.deterministic_headline is not None and self.deterministic_headline not in self.deterministic_modes:
            problems.append(f"deterministic_headline {self.deterministic_headline!r} is not a deterministic mode")
        if problems:
            raise MethodError(f"method {self.name!r}: " + "; ".join(problems))

    @property
    def deterministic_modes(self) -> tuple[str, ...]:
        return tuple(m for m in self.modes if m not in self.stochastic_modes)

    def code_budget(self, method_config: Mapping[str, Any]) -> int:
        """The active dimensions per code a method of this identity is compared at: its ``latent_dim``, or
        a sparse autoencoder's active latents (its ``latent_dim`` is its dictionary)."""
        if self.sparse_autoencoder is not None:
            return self.sparse_autoencoder.budget(method_config)
        return int(method_config["latent_dim"])

    def headline(self, kind: str) -> str | None:
        """The mode that stands for this method among ``kind`` ("deterministic"/"stochastic") modes."""
        if kind == "stochastic":
            return self.stochastic_modes[0] if self.stochastic_modes else None
        if self.deterministic_headline:
            return self.deterministic_headline
        det = self.deterministic_modes
        return self.default_mode if self.default_mode in det else (det[0] if det else None)


def identity_problems(name: str, modes: Sequence[str], default_mode: str, stochastic: Sequence[str]) -> list[str]:
    """The interface rules on a method's identity, in one place (registry, conformance and declaration)."""
    problems = []
    if not name:
        problems.append("has an empty name")
    if not modes:
        problems.append("declares no encode `modes`")
    elif default_mode not in modes:
        problems.append(f"default_mode {default_mode!r} is not one of its modes {tuple(modes)}")
    unknown = [m for m in stochastic if m not in modes]
    if unknown:
        problems.append(f"stochastic_modes {unknown} are not among its modes {tuple(modes)}")
    return problems


def method(name: str, *, model: str, modes: Sequence[str], default_mode: str, stochastic_modes: Sequence[str] = (),
           description: str = "", exact_zeros: bool = False, deterministic_headline: str | None = None,
           backbones: Sequence[str] = BACKBONES,
           sparse_autoencoder: SparseAutoencoder | None = None) -> Callable[[type], type]:
    """Class decorator for a method's Config: attaches its :class:`MethodIdentity` (no global state)."""
    identity = MethodIdentity(name, model, tuple(modes), default_mode, tuple(stochastic_modes), description,
                              exact_zeros, deterministic_headline, tuple(backbones), sparse_autoencoder)

    def deco(config_cls: type) -> type:
        if not dataclasses.is_dataclass(config_cls):
            raise TypeError(f"@method({name!r}) must decorate a dataclass")
        config_cls.__method__ = identity  # type: ignore[attr-defined]
        return config_cls

    return deco


def identity_of(config_cls: type) -> MethodIdentity | None:
    """The identity declared on ``config_cls`` itself (not inherited from a parent Config)."""
    return config_cls.__dict__.get("__method__")
