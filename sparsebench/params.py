"""Configuration fields with declared valid ranges, checked in one place for every kind of config.

Method hyperparameters (built-in or plugin), training settings and scoring settings all declare
their ranges the same way, beside the field (``latent_dim: int = param(32, ge=1)``), and are checked
by :func:`check_config` wherever a configuration is resolved, so a bad value is one line naming the
field, the value and the valid range, before anything trains.
"""
from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass, field
from typing import Any, Sequence


class ConfigError(ValueError):
    """A configuration value is outside its declared range; the message says what would work."""


@dataclass(frozen=True)
class Range:
    """A field's valid values: bounds (open or closed) and/or a set of choices."""

    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    choices: tuple[Any, ...] | None = None

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is out of range, or None."""
        if self.choices is not None:
            return None if value in self.choices else f"one of {', '.join(map(str, self.choices))}"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        parts = []
        for bound, sym in ((self.ge, "≥"), (self.gt, ">"), (self.le, "≤"), (self.lt, "<")):
            if bound is not None:
                parts.append(f"{sym} {bound:g}")
        bad = (isinstance(value, float) and not math.isfinite(value)
               or (self.ge is not None and not value >= self.ge) or (self.gt is not None and not value > self.gt)
               or (self.le is not None and not value <= self.le) or (self.lt is not None and not value < self.lt))
        if not bad:
            return None
        return "a finite number " + " and ".join(parts) if parts else "a finite number"

    def describe(self) -> str:
        if self.choices is not None:
            return "{" + ", ".join(map(str, self.choices)) + "}"
        parts = [f"{sym} {b:g}" for b, sym in ((self.ge, "≥"), (self.gt, ">"), (self.le, "≤"), (self.lt, "<"))
                 if b is not None]
        return " and ".join(parts)


def param(default: Any, *, ge: float | None = None, gt: float | None = None, le: float | None = None,
          lt: float | None = None, choices: Sequence[Any] | None = None, doc: str = "",
          omit_default: bool = False, records_only: bool = False) -> Any:
    """A dataclass field with its valid range: ``latent_dim: int = param(32, ge=1)``.

    ``omit_default``: for a field added after results were published.  At its default it is left out
    of a cell's canonical configuration (:func:`canonical`), so the ids of the existing records, which
    were computed without it, still name the same cells; any other value is part of the id.

    ``records_only``: the field makes a run record more (a training curve) and changes nothing the
    model learns or scores.  It stays in the cell id, but a frontier counts two runs that differ only
    in it as one point, and never names it in a point's label.
    """
    rng = Range(ge, gt, le, lt, tuple(choices) if choices is not None else None)
    return field(default=default, metadata={"range": rng, "doc": doc, "omit_default": omit_default,
                                            "records_only": records_only})


@functools.cache
def records_only_fields(cls: type) -> frozenset[str]:
    """The fields of a config dataclass declared ``records_only`` (cached: a frontier asks once per record)."""
    return frozenset(f.name for f in dataclasses.fields(cls) if f.metadata.get("records_only"))


def canonical(config: Any) -> dict[str, Any]:
    """``dataclasses.asdict`` without the ``omit_default`` fields that hold their default."""
    out = dataclasses.asdict(config)
    for f in dataclasses.fields(config):
        if f.metadata.get("omit_default") and out[f.name] == f.default:
            del out[f.name]
    return out


def field_range(f: dataclasses.Field) -> Range | None:
    return f.metadata.get("range") if f.metadata else None


def check_config(config: Any, owner: str, set_prefix: str = "") -> None:
    """Raise :class:`ConfigError` naming the first field outside its declared range.

    ``owner`` names the config in the message; ``set_prefix`` is what ``--set`` needs before the
    field name (``"hsvae."`` for a method's hyperparameter, ``""`` for training settings).

    Floats must be finite even without a declared range (``lr=nan`` is never meant).  A config may
    add cross-field rules in a ``validate()`` method (e.g. ``k ≤ latent_dim``), called afterwards.
    """
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        rng = field_range(f) or Range()
        why = rng.problem(value)
        if why is None and isinstance(value, float) and not math.isfinite(value):
            why = "a finite number"
        if why is not None:
            raise ConfigError(f"{owner}: {f.name}={value!r} is out of range; it must be {why} "
                              f"(e.g. --set {set_prefix}{f.name}=<value>)")
    validate = getattr(config, "validate", None)
    if callable(validate):
        validate()
