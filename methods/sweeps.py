"""A method's sparsity and regularisation knobs and its default sweep, declared beside its Config.

Why: a method run at one setting is a single point, and a single point compares nothing: one
method's published weights may sit in the collapse region of our text protocol while another's do
not.  The comparison that is fair to every method is an accuracy–sparsity *frontier* over an equal
budget of points per method.  Each method therefore declares, on its Config and without importing
torch, which fields are its sparsity/regularisation knobs and an ordered list of points (settings of
those knobs), each value with where it comes from:

- ``paper(...)``: a value a paper states (cite which);
- ``authors_code(...)``: a value in the authors' code (repository and file);
- ``harness(...)``: a value this harness chose (the equal-budget extension, and why).

A value no paper states is never a ``paper`` value.  The first point is the method's default (the
Config's own values of the knobs), so every sweep contains the published single-point cell.

``@sweep(control="...")`` declares a method with no knob (a dense control): it runs as one point.  A
method that declares nothing (a plugin written before sweeps) also runs as one point, its defaults.
Declarations are checked when they are made: every key must be a field of the Config and one of the
declared knobs, every value of the field's type and inside its declared range, every point must set
the same keys and differ from the others.  ``EQUAL_BUDGET`` is the number of points every built-in
sweep has (a test enforces it); a plugin may declare another number, which ``bench run --sweep``
reports beside the others.
"""
from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from methods.errors import MethodError
from sparsebench.params import check_config

#: Points per method in every built-in sweep (single-point controls aside): the same budget for all.
EQUAL_BUDGET = 5

#: Where a swept value may come from.
SOURCE_KINDS = ("paper", "authors' code", "harness")


@dataclass(frozen=True)
class Source:
    """Where one swept value comes from: a kind (:data:`SOURCE_KINDS`) and a precise citation."""

    kind: str
    where: str

    def __post_init__(self) -> None:
        if self.kind not in SOURCE_KINDS:
            raise MethodError(f"source kind {self.kind!r} is not one of {SOURCE_KINDS}")
        if not self.where.strip():
            raise MethodError(f"a {self.kind} source must say which ({self.kind}: <citation>)")

    def __str__(self) -> str:
        return f"{self.kind}: {self.where}"


def paper(where: str) -> Source:
    """A value a paper states: ``paper("Tonolini et al. 2020, Eq. 5")``."""
    return Source("paper", where)


def authors_code(where: str) -> Source:
    """A value in the authors' code: ``authors_code("VictorProkhorov/HSVAE README.md")``."""
    return Source("authors' code", where)


def harness(why: str = "equal-budget extension") -> Source:
    """A value this harness chose; say why (``equal-budget extension: ...``)."""
    return Source("harness", why)


@dataclass(frozen=True)
class SweepPoint:
    """One point of a sweep: a name, and its settings ``(field, value, source)`` in declaration order."""

    name: str
    settings: tuple[tuple[str, Any, Source], ...] = ()

    @property
    def values(self) -> dict[str, Any]:
        return {k: v for k, v, _ in self.settings}

    def spelled(self) -> list[tuple[str, str, Source]]:
        """The settings with each value as ``--set`` takes it (``4``, ``0.01``, ``true``)."""
        return [(k, _spell(v), s) for k, v, s in self.settings]

    def overrides(self, method: str) -> tuple[tuple[str, str], ...]:
        """The point as ``--set`` pairs scoped to ``method`` (``hsvae.alpha=30``), sorted."""
        return tuple(sorted((f"{method}.{k}", v) for k, v, _ in self.spelled()))

    def describe(self) -> str:
        return " ".join(f"{k}={v}" for k, v, _ in self.spelled()) or "(defaults)"


def point(name: str, **settings: tuple[Any, Source]) -> SweepPoint:
    """``point("readme", alpha=(4.0, README), beta=(1.0, README))``: a point, each value with its source."""
    out = []
    for key, pair in settings.items():
        if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[1], Source)):
            raise MethodError(f"sweep point {name!r}: {key}= must be (value, source), e.g. "
                              f"{key}=(0.1, harness('equal-budget extension')); got {pair!r}")
        out.append((key, pair[0], pair[1]))
    return SweepPoint(name, tuple(out))


@dataclass(frozen=True)
class Sweep:
    """A method's knobs (field → what it regularises) and its ordered points.

    ``control``: why the method has no knob (a single-point control).  ``declared`` is False for the
    one-point stand-in of a method that declares nothing.
    """

    knobs: tuple[tuple[str, str], ...]
    points: tuple[SweepPoint, ...]
    control: str = ""
    declared: bool = True
    #: The Config's defaults of the swept keys: a canonical config leaves out an ``omit_default``
    #: field at its default, and that cell is still the point that sets the default.
    defaults: tuple[tuple[str, Any], ...] = ()

    @property
    def keys(self) -> tuple[str, ...]:
        """The fields the points set (every point sets all of them)."""
        return tuple(k for k, _, _ in self.points[0].settings) if self.points else ()

    def point_for(self, method_config: Mapping[str, Any]) -> SweepPoint | None:
        """The point a resolved method config is (its swept fields hold the point's values), or None.

        Why: a cell's identity is its resolved config, so a record says which point it is without a
        label: the published single-point cells are the first point of their method's sweep.
        """
        if not self.keys:
            return self.points[0] if self.points else None
        missing = object()
        values = {**dict(self.defaults), **method_config}
        for p in self.points:
            if all(values.get(k, missing) == v for k, v in p.values.items()):
                return p
        return None


def _spell(value: Any) -> str:
    """A value as ``--set`` takes it, shortest exact form (``4``, not ``4.0``; ``0.01``; ``true``)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def _coerce(config_cls: type, key: str, value: Any, where: str) -> Any:
    """``value`` as the field's type (an int for a float field is fine; 2.5 for an int field is not)."""
    typ = typing.get_type_hints(config_cls)[key]
    if typ is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if typ is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if typ in (bool, str) and isinstance(value, typ):
        return value
    raise MethodError(f"{where}: {key}={value!r} is not of type {getattr(typ, '__name__', typ)}")


def _check(config_cls: type, sw: Sweep) -> Sweep:
    """The declaration's rules (see the module docstring); the points with values of their fields' types."""
    owner = getattr(getattr(config_cls, "__method__", None), "name", config_cls.__name__)
    fields = {f.name for f in dataclasses.fields(config_cls)}
    knobs = dict(sw.knobs)
    unknown = sorted(set(knobs) - fields)
    if unknown:
        raise MethodError(f"sweep of {owner}: knobs {unknown} are not fields of {config_cls.__name__}")
    if not sw.points:
        raise MethodError(f"sweep of {owner}: no points (a method without a knob declares @sweep(control=...))")
    names = [p.name for p in sw.points]
    if len(set(names)) != len(names) or not all(names):
        raise MethodError(f"sweep of {owner}: point names must be non-empty and distinct, got {names}")
    keys = [k for k, _, _ in sw.points[0].settings]
    checked, seen = [], {}
    for p in sw.points:
        where = f"sweep of {owner}, point {p.name!r}"
        pkeys = [k for k, _, _ in p.settings]
        if sorted(pkeys) != sorted(keys):
            raise MethodError(f"{where}: sets {pkeys}, the first point sets {keys}; every point sets the same keys")
        bad = [k for k in pkeys if k not in fields]
        if bad:
            raise MethodError(f"{where}: {bad} are not fields of {config_cls.__name__} "
                              f"(fields: {', '.join(sorted(fields))})")
        off = [k for k in pkeys if k not in knobs]
        if off:
            raise MethodError(f"{where}: {off} are not among the declared knobs {sorted(knobs)}")
        settings = tuple((k, _coerce(config_cls, k, v, where), s) for k, v, s in p.settings)
        values = {k: v for k, v, _ in settings}
        try:
            check_config(config_cls(**values), where)
        except (TypeError, ValueError) as exc:  # ConfigError and MethodError are ValueErrors
            raise MethodError(f"{where}: {exc}") from None
        frozen = tuple(sorted(values.items()))
        if frozen in seen:
            raise MethodError(f"{where}: same settings as point {seen[frozen]!r}")
        seen[frozen] = p.name
        checked.append(SweepPoint(p.name, settings))
    defaults = {f.name: f.default for f in dataclasses.fields(config_cls)}
    first = checked[0].values
    if sw.declared and not sw.control and any(defaults[k] != v for k, v in first.items()):
        raise MethodError(f"sweep of {owner}: the first point {checked[0].name!r} must be the Config's defaults "
                          f"({', '.join(f'{k}={defaults[k]!r}' for k in first)}), so that every sweep holds the "
                          "published single-point cell")
    return dataclasses.replace(sw, points=tuple(checked), defaults=tuple((k, defaults[k]) for k in keys))


def sweep(*points: SweepPoint, knobs: Mapping[str, str] | None = None, control: str = "") -> Callable[[type], type]:
    """Class decorator for a method's Config: its knobs and its ordered default sweep (torch-free).

    ``knobs`` maps each sparsity/regularisation field to what it does; the first point is the
    Config's defaults.  ``control="why"`` (and no points) declares a single-point control.
    """
    if control and points:
        raise MethodError("@sweep: a control (control=...) has no points; it runs as one point")
    if not control and not points:
        raise MethodError("@sweep: give the points, or control='why this method has no knob'")

    def deco(config_cls: type) -> type:
        if not dataclasses.is_dataclass(config_cls):
            raise TypeError("@sweep must decorate a dataclass (the method's Config)")
        declared = Sweep(tuple((knobs or {}).items()), points or (SweepPoint("default"),), control)
        config_cls.__sweep__ = _check(config_cls, declared)  # type: ignore[attr-defined]
        return config_cls

    return deco


def sweep_of(config_cls: type) -> Sweep:
    """The sweep declared on ``config_cls`` itself (not inherited), else one point: the defaults."""
    declared = config_cls.__dict__.get("__sweep__")
    return declared if declared is not None else Sweep((), (SweepPoint("default"),), declared=False)
