"""Accuracy–sparsity frontiers from stored records alone: each method's sweep points, the ones no other
point of the method beats, accuracy read at matched sparsity, and one area per method.

Why: one setting per method compares two arbitrary points of two trade-offs.  A method swept over
its sparsity hyperparameter is a curve, and two curves are compared where both exist.  The rules,
fixed before any sweep was read (``docs/frontiers.md`` says the same for readers):

- **Panel**: corpus × backbone (text, or embedding with its encoder) × preset × training split ×
  scoring settings × mode kind.  Nothing is compared across panels.  In a panel each method stands
  by its headline mode of the kind (:func:`bench.report.leaderboard.headline`); a reference (TF-IDF, the
  untrained encoder, the embedding, ...) by its deterministic code, in the panels of both kinds.
- **Series and points**: a series is one method (``spec.method``: a named variant such as
  ``vae-beta0.01`` is one more point of ``vae``); a point is one distinct configuration (method and
  training settings), its seeds grouped: mean and sample std (ddof = 1).  A reference is a series of
  one point.
- **Sparsity** is read two ways (:data:`READINGS`): active dimensions per code (fewer = sparser) and
  Average Hoyer (higher = sparser).  Accuracy is the accuracy of the code the reading describes
  (:data:`ACCURACY_OF`): ``probe_accuracy`` (the whole code) beside Average Hoyer, a reading of the whole
  code, and ``masked_probe_accuracy`` (the entries the mode's activity rule reads as inactive set to 0)
  beside active dims, so that "k active dims" never scores a signal in the entries it counts as off
  (scoring protocol 7: a VAE-family code at a few active dims kept most of its whole-code accuracy in them).
  Records scored before protocol 7 have no masked probe: their active-dims frontiers are drawn with the whole
  code's probe, as they were published (:func:`accuracy_of`; the scoring protocol is part of the panel, so no
  frontier mixes the two, and a table says which accuracy it shows).
- **Frontier**: the points that no other point of the series dominates, on seed means (at least as
  sparse and at least as accurate, strictly better in one); of exact duplicates one is kept.  Along
  the frontier, sparser points are strictly less accurate.
- **Matched sparsity**: accuracy interpolated linearly between the two frontier points around a
  level, only inside the frontier's range, never extrapolated (a level outside it reads "–").  The
  mean comes from the points' seed means.  The spread is the sample std over seeds of each seed's
  accuracy interpolated with the same weights, over the seeds both neighbours hold, so a sweep run
  on the same seeds keeps its pairing; when they share fewer than two, the two points' stds are
  interpolated linearly instead and the cell is marked ``~``.
- **Area** (``frontier_auc``, :mod:`tasks.aggregate_metrics`): the mean, over the panel's sparsity
  range, of the best accuracy the method reaches at that sparsity or sparser: linear between
  frontier points, the densest frontier point's accuracy on the denser side (a code at least that
  sparse exists), 0 beyond its sparsest point (it reaches no code that sparse).  The range is the
  same for every method of a panel: Average Hoyer [0, 1], active dims [0, the panel's densest sweep
  point].  A method is neither rewarded for covering a narrow, accurate stretch (the mean over its
  own range would) nor for a range nobody else reaches being left out (a mean over the common range
  would); it is the hypervolume indicator of multi-objective optimisation, with linear segments.
  A method with one sweep point has no area ("n/a"): its one point is no frontier.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from bench.errors import UserError
from bench.report.leaderboard import format_number, format_spread, header, headline
from bench.report.stale import protocol_versions
from tasks.aggregate_metrics import aggregate_info

ACCURACY = "probe_accuracy"
#: The probe of the code with its inactive entries zeroed (:mod:`tasks.scorers`, scoring protocol 7).
MASKED_ACCURACY = "masked_probe_accuracy"
#: Claim (c)'s measure, read along the frontier at matched accuracy (``bench.paper.claims``).
KL = "class_kl_excess"
#: Per model, from the reconstruction scorer: disclosed beside a collapsed dense rival's verdicts.
COLLAPSED = "collapsed_dims"
#: Each sparsity reading and its direction: +1 when a higher value is sparser, −1 when a lower one is.
#: Declared here, not read from the metric table: ``active_dims`` is a count there (never ranked).
READINGS: dict[str, int] = {"active_dims": -1, "avg_hoyer": 1}
#: The accuracy each reading's frontier is drawn with: that of the code the reading counts.
ACCURACY_OF: dict[str, str] = {"active_dims": MASKED_ACCURACY, "avg_hoyer": ACCURACY}
#: The scoring protocol that introduced the masked probe; a record scored before it has none.
MASKED_SINCE = 7
#: The sparsity range the area is taken over: fixed bounds, or None for "the panel's densest point".
AUC_RANGE: dict[str, tuple[float, float | None]] = {"active_dims": (0.0, None), "avg_hoyer": (0.0, 1.0)}
DEFAULT_READING = "avg_hoyer"
KINDS = ("deterministic", "stochastic")
#: How far outside a frontier's range a level may sit and still be read at the end point (float noise).
EPS = 1e-9


def check_reading(x: str) -> str:
    if x not in READINGS:
        raise UserError(f"unknown sparsity reading {x!r}; frontiers read sparsity as: {', '.join(READINGS)}")
    return x


def accuracy_of(x: str, scoring_protocol: int | None = None) -> str:
    """The accuracy a frontier read by ``x`` is drawn with, for records of ``scoring_protocol`` (None: today's):
    :data:`ACCURACY_OF`, or the whole code's probe for records scored before :data:`MASKED_SINCE`, which have
    no masked probe (a history track reads as it was published)."""
    return ACCURACY if scoring_protocol is not None and scoring_protocol < MASKED_SINCE else ACCURACY_OF[x]


def accuracy_label(x: str, short: bool = False, y: str | None = None) -> str:
    """The y of a frontier read by ``x`` (drawn with accuracy ``y``, default :data:`ACCURACY_OF` ``[x]``), in
    words (``short``: "acc" for "accuracy", a table header's)."""
    words = "masked probe accuracy" if (y or ACCURACY_OF[x]) == MASKED_ACCURACY else "probe accuracy"
    return words.replace("accuracy", "acc") if short else words


def panels_accuracy(panels: Iterable[Panel], x: str) -> str | None:
    """The one accuracy every panel's frontiers read by ``x`` are drawn with; None when they differ (panels of
    records scored before and after :data:`MASKED_SINCE`: each table header then names its own)."""
    ys = {p.accuracy_of(x) for p in panels}
    return ys.pop() if len(ys) == 1 else None if ys else ACCURACY_OF[x]


#: What a masked probe accuracy is, where a table shows one.
MASKED_NOTE = ("(the probe of the code with the entries its activity rule reads as inactive set to 0, so that a "
               "point's accuracy is that of the dims it counts) ")


@dataclass(frozen=True)
class Point:
    """One sweep point: per metric, each seed's value (a seed lacking a metric simply has no entry)."""

    label: str
    values: Mapping[str, Mapping[int, float]]
    #: The cell ids of the records the point was made from (one per seed), to go from a point back to its cells.
    cells: tuple[str, ...] = ()

    def seeds(self, metric: str) -> list[int]:
        return sorted(self.values.get(metric, {}))

    def n(self, metric: str) -> int:
        return len(self.values.get(metric, {}))

    def mean(self, metric: str) -> float:
        v = list(self.values.get(metric, {}).values())
        return float(np.mean(v)) if v else math.nan

    def std(self, metric: str) -> float:
        v = list(self.values.get(metric, {}).values())
        return float(np.std(v, ddof=1)) if len(v) > 1 else math.nan

    def read_by(self, x: str, y: str | None = None) -> Point:
        """The point as the frontier of reading ``x`` sees it: its ``ACCURACY`` is the accuracy ``y``
        (default :data:`ACCURACY_OF` ``[x]``; none where the records lack it: such a point is left off that
        frontier)."""
        y = ACCURACY_OF[x] if y is None else y
        if y == ACCURACY:
            return self
        return Point(self.label, {**self.values, ACCURACY: dict(self.values.get(y, {}))}, self.cells)


@dataclass(frozen=True)
class AtLevel:
    """A metric read at a level along a frontier: mean, spread, and each seed's value where paired."""

    level: float
    mean: float
    std: float
    per_seed: Mapping[int, float] = field(default_factory=dict)

    @property
    def paired(self) -> bool:
        """Whether the spread is over seeds (two or more shared by the neighbouring points)."""
        return len(self.per_seed) >= 2

    def values(self) -> np.ndarray:
        return np.array([self.per_seed[s] for s in sorted(self.per_seed)], dtype=np.float64)


def non_dominated(sparsity: np.ndarray, accuracy: np.ndarray) -> np.ndarray:
    """Mask of the points no other point dominates, ``sparsity`` oriented so that higher is sparser.

    Of exact duplicates the first is kept, so a frontier never holds one place twice."""
    s, y = np.asarray(sparsity, dtype=float), np.asarray(accuracy, dtype=float)
    keep = np.ones(len(s), dtype=bool)
    for i in range(len(s)):
        dominates = (s >= s[i]) & (y >= y[i]) & ((s > s[i]) | (y > y[i]))
        duplicate = (s == s[i]) & (y == y[i]) & (np.arange(len(s)) < i)
        keep[i] = not (dominates.any() or duplicate.any())
    return keep


def bracket(axis: Sequence[float], level: float) -> tuple[int, int, float] | None:
    """(i, j, w): ``level`` = (1 − w)·axis[i] + w·axis[j] between neighbours of a strictly increasing
    ``axis``; None outside [axis[0], axis[-1]] (no extrapolation)."""
    xs = np.asarray(axis, dtype=float)
    if not len(xs) or level < xs[0] - EPS or level > xs[-1] + EPS:
        return None
    j = int(np.searchsorted(xs, level, side="left"))
    if j >= len(xs):
        return len(xs) - 1, len(xs) - 1, 0.0
    if abs(xs[j] - level) <= EPS or j == 0:
        return j, j, 0.0
    i = j - 1
    return i, j, float((level - xs[i]) / (xs[j] - xs[i]))


def interpolate(points: Sequence[Point], axis: str, metric: str, level: float) -> AtLevel | None:
    """``metric`` at ``level`` of ``axis`` along ``points`` (sorted by ``axis``, strictly increasing)."""
    where = bracket([p.mean(axis) for p in points], level)
    if where is None:
        return None
    i, j, w = where
    a, b = points[i], points[j]
    if i == j or w == 0.0:
        return AtLevel(level, a.mean(metric), a.std(metric), dict(a.values.get(metric, {})))
    mean = (1 - w) * a.mean(metric) + w * b.mean(metric)
    va, vb = a.values.get(metric, {}), b.values.get(metric, {})
    shared = sorted(set(va) & set(vb))
    if len(shared) >= 2:
        per_seed = {s: (1 - w) * va[s] + w * vb[s] for s in shared}
        return AtLevel(level, mean, float(np.std(list(per_seed.values()), ddof=1)), per_seed)
    return AtLevel(level, mean, (1 - w) * a.std(metric) + w * b.std(metric))


@dataclass(frozen=True)
class Frontier:
    """A series' sweep points read along sparsity ``x``: ``front`` sorted by ``x`` (ascending)."""

    x: str
    points: tuple[Point, ...]
    front: tuple[Point, ...]

    @classmethod
    def of(cls, points: Iterable[Point], x: str, y: str | None = None) -> Frontier:
        """The frontier of ``points`` read by ``x``, each point's accuracy ``y``: by default that of the code
        ``x`` reads (:meth:`Point.read_by`; a panel's :meth:`Panel.accuracy_of` says which its records have)."""
        read = [p.read_by(x, y) for p in points]
        usable = tuple(p for p in read if math.isfinite(p.mean(x)) and math.isfinite(p.mean(ACCURACY)))
        if not usable:
            return cls(x, (), ())
        s = np.array([READINGS[x] * p.mean(x) for p in usable])
        mask = non_dominated(s, np.array([p.mean(ACCURACY) for p in usable]))
        front = sorted((p for p, k in zip(usable, mask) if k), key=lambda p: p.mean(x))
        return cls(x, usable, tuple(front))

    @property
    def dominated(self) -> tuple[Point, ...]:
        return tuple(p for p in self.points if all(p is not q for q in self.front))

    @property
    def range(self) -> tuple[float, float]:
        xs = [p.mean(self.x) for p in self.front]
        return (min(xs), max(xs)) if xs else (math.nan, math.nan)

    def at(self, level: float, metric: str = ACCURACY) -> AtLevel | None:
        """``metric`` (accuracy by default) at sparsity ``level``; None outside the frontier's range."""
        return interpolate(self.front, self.x, metric, level)

    def at_accuracy(self, level: float, metric: str) -> AtLevel | None:
        """``metric`` at accuracy ``level`` along the frontier (where accuracy is strictly monotone)."""
        return interpolate(sorted(self.front, key=lambda p: p.mean(ACCURACY)), ACCURACY, metric, level)

    def auc(self, span: tuple[float, float]) -> float:
        """The area the frontier dominates over ``span`` (see the module docstring); NaN for one point."""
        if len(self.points) < 2:
            return math.nan
        return frontier_auc([p.mean(self.x) for p in self.front], [p.mean(ACCURACY) for p in self.front],
                            READINGS[self.x], span)


def frontier_auc(xs: Sequence[float], ys: Sequence[float], sparser: int, span: tuple[float, float]) -> float:
    """Mean over ``span`` of the best accuracy reached at that sparsity or sparser, for frontier points
    (``xs``, ``ys``); ``sparser`` is +1 when a higher x is sparser.  Rescaled to u ∈ [0, 1] (u = 1 the
    sparsest end), it is y₀·u₀ + ∫ along the frontier's segments: the densest point's accuracy from the
    dense end to it, linear between points, 0 beyond the sparsest."""
    lo, hi = span
    if not len(xs) or not hi > lo:
        return math.nan
    u = (np.asarray(xs, dtype=float) - lo) / (hi - lo)
    u = u if sparser > 0 else 1.0 - u
    if (u < -EPS).any() or (u > 1 + EPS).any():
        raise ValueError(f"frontier points {list(xs)} lie outside the area's range {span}")
    order = np.argsort(u)
    u, y = np.clip(u[order], 0.0, 1.0), np.asarray(ys, dtype=float)[order]
    return float(y[0] * u[0] + np.sum((y[1:] + y[:-1]) / 2 * np.diff(u)))


def nice_levels(lo: float, hi: float, n: int = 5) -> list[float]:
    """``n`` evenly spaced levels in [lo, hi], rounded to two significant digits of the span (a span of
    0.008 gives 0.2300, 0.2320, ...; of 20 dims, whole dims), the ends rounded inwards so that no
    level falls outside the range it was drawn from."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi < lo:
        return []
    if hi == lo:
        return [lo]
    digits = max(0, 1 - math.floor(math.log10(hi - lo)))
    scale = 10.0 ** digits
    raw = np.linspace(lo, hi, n)
    levels = [math.ceil(raw[0] * scale - EPS) / scale, *(round(v, digits) for v in raw[1:-1]),
              math.floor(raw[-1] * scale + EPS) / scale]
    return sorted(set(levels))


# -- from records -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Panel:
    """What must be equal for two series to share a frontier table or figure panel."""

    corpus: str
    backbone: str
    encoder: str
    preset: str
    train_split: str
    scoring: str
    kind: str
    #: The scoring protocol of the panel's records (:func:`accuracy_of`): never mixed in one frontier.
    scoring_protocol: int | None = None

    def accuracy_of(self, x: str) -> str:
        """The accuracy this panel's frontiers read by ``x`` are drawn with."""
        return accuracy_of(x, self.scoring_protocol)

    def title(self, protocol: Sequence[str] = ()) -> str:
        """``corpus · backbone[ (encoder)] · kind modes``, then what sets its protocol apart from other
        panels' (``protocol``: among preset, split and scoring settings, those that vary)."""
        backbone = f"{self.backbone} backbone" + (f" ({self.encoder})" if self.encoder else "")
        scoring = json.loads(self.scoring)
        parts = [f"preset {self.preset}" if k == "preset" else f"trained on {self.train_split}" if k == "train_split"
                 else f"scoring protocol {self.scoring_protocol}" if k == "scoring_protocol"
                 else f"{k.removeprefix('scoring.')}={scoring.get(k.removeprefix('scoring.'), '(default)')}"
                 for k in protocol]
        return f"{self.corpus} · {backbone} · {self.kind} modes" + (f" · {', '.join(parts)}" if parts else "")

    @property
    def group(self) -> tuple[str, ...]:
        """The panel without its kind: a column of the figure."""
        return self.corpus, self.backbone, self.encoder, self.preset, self.train_split, self.scoring, \
            str(self.scoring_protocol)


@dataclass(frozen=True)
class Series:
    panel: Panel
    method: str
    reference: bool
    points: tuple[Point, ...]
    #: The settings that differ among the points (what the sweep varied).
    varies: tuple[str, ...] = ()

    def frontier(self, x: str) -> Frontier:
        return Frontier.of(self.points, x, self.panel.accuracy_of(x))

    @property
    def name(self) -> str:
        return f"{self.method} (reference)" if self.reference else self.method

    @property
    def family(self) -> str:
        """The reference's name without the setting that makes it one of several (``embedding-pca [latent_dim=4]``
        → ``embedding-pca``); a method's name."""
        return self.method.split(" [")[0]


#: What each point keeps per seed: the sparsity readings, accuracy, claim (c)'s measure, collapse.
TRACKED = (*READINGS, ACCURACY, MASKED_ACCURACY, KL)


def _backbone(rec: dict[str, Any]) -> str:
    if rec.get("reference"):
        return str(rec["reference"].get("track", "text"))
    return str(rec["config"].get("method_config", {}).get("backbone", "text"))


def _settings(rec: dict[str, Any]) -> dict[str, Any]:
    """What identifies a record's point: its method's hyperparameters and its training settings, less
    those that only make the record richer (``curve_every``): a run with training curves trains the model
    a run without them trains, so the two are one point, and a label never names the curve setting."""
    from bench.config.resolve import TrainConfig
    from sparsebench.params import records_only_fields

    cfg = rec["config"]
    skip = records_only_fields(TrainConfig)
    return {**cfg.get("method_config", {}), **{k: v for k, v in cfg.get("train", {}).items() if k not in skip}}


def _scores(rec: dict[str, Any], mode: str) -> dict[str, float]:
    scores = rec["metrics"]["modes"].get(mode, {})
    out = {m: float(scores[m]) for m in TRACKED if _is_number(scores.get(m))}
    collapsed = rec["metrics"].get("reconstruction", {}).get(COLLAPSED)
    if _is_number(collapsed):
        out[COLLAPSED] = float(collapsed)
    return out


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v))


def _train_defaults() -> dict[str, Any]:
    """Training settings left out of a config at their default (``omit_default``), to name them in labels."""
    import dataclasses

    from bench.config.resolve import TrainConfig

    return {f.name: f.default for f in dataclasses.fields(TrainConfig)}


def _label(settings: dict[str, Any], varies: Sequence[str], fallback: str) -> str:
    if not varies:
        return fallback
    full = {**_train_defaults(), **settings}
    return " ".join(f"{k}={full[k]}" if k in full else f"{k}=(default)" for k in varies)


def collect(records: Iterable[dict[str, Any]]) -> dict[Panel, list[Series]]:
    """Every panel's series from successful records: methods first, then references, each by name.

    Of two records of one point and seed (one configuration run twice under different cell ids),
    the first by cell id is kept."""
    # per (panel, name, reference), per configuration: (settings, row name, scores per seed, cell id per seed)
    raw: dict[tuple[Panel, str, bool], dict[str, tuple[dict[str, Any], str, dict[int, dict[str, float]], list[str]]]] = {}
    ok = sorted((r for r in records if r.get("status") == "ok"),
                key=lambda r: (r["spec"]["seed"], str(r.get("cell_id", ""))))
    for rec in ok:
        spec, ref = rec["spec"], bool(rec.get("reference"))
        name = str(rec["reference"].get("name", spec["method"])) if ref else spec["method"]
        settings = _settings(rec)
        key = json.dumps(settings, sort_keys=True, default=str)
        where = (spec["corpus"], _backbone(rec), str(spec.get("encoder") or ""), spec["preset"],
                 spec.get("train_split", "train"), json.dumps(rec["config"].get("eval", {}), sort_keys=True))
        scoring = protocol_versions(rec).get("scoring_protocol")  # None: today's, as split_stale reads it
        for kind in KINDS:
            mode = headline(rec, "deterministic" if ref else kind)
            if not mode or mode not in rec["metrics"]["modes"]:
                continue
            panel = Panel(*where, kind, scoring)
            entry = raw.setdefault((panel, name, ref), {}).setdefault(
                key, (settings, spec.get("variant") or name, {}, []))
            if int(spec["seed"]) not in entry[2]:
                entry[2][int(spec["seed"])] = _scores(rec, mode)
                entry[3].append(str(rec.get("cell_id", "")))
    panels: dict[Panel, list[Series]] = {}
    for (panel, name, ref), by_config in sorted(raw.items(), key=lambda kv: (kv[0][0].kind, kv[0][2], kv[0][1])):
        configs = [s for s, _, _, _ in by_config.values()]
        keys = sorted(set().union(*configs))
        varies = tuple(k for k in keys if len({json.dumps(c.get(k), default=str) for c in configs}) > 1)
        points = [_point(_label(settings, varies, row_name), seeds, ids)
                  for settings, row_name, seeds, ids in by_config.values()]
        if ref:  # a reference is one point: two configurations (latent sizes) are two references, in their order
            order = sorted(range(len(points)), key=lambda i: _order_key(configs[i], varies))
            panels.setdefault(panel, []).extend(
                Series(panel, f"{name} [{points[i].label}]" if varies else name, True, (points[i],)) for i in order)
        else:
            panels.setdefault(panel, []).append(Series(panel, name, False, tuple(points), varies))
    return dict(sorted(panels.items(), key=lambda kv: (kv[0].group, KINDS.index(kv[0].kind))))


def declared_points(specs: Iterable[Any],
                    kinds_of: Callable[[str], Iterable[str]] = lambda method: KINDS) -> dict[tuple[str, str, str], int]:
    """(method, corpus, mode kind) → how many sweep points an experiment declares (distinct settings over its
    cells' ``RunSpec``: method, corpus, variant, overrides; the seeds are not points).  ``kinds_of``: the mode
    kinds a method has (a method with no stochastic mode has no stochastic frontier to wait for)."""
    points: dict[tuple[str, str, str], set[tuple[Any, ...]]] = {}
    for spec in specs:
        for kind in kinds_of(spec.method):
            points.setdefault((spec.method, spec.corpus, kind), set()).add(
                (spec.variant, tuple(sorted(spec.overrides))))
    return {key: len(found) for key, found in sorted(points.items())}


def _run(series: Sequence[Series]) -> dict[str, int]:
    return {s.method: len(s.points) for s in series if not s.reference}


def _wanted(panel: Panel, declared: Mapping[tuple[str, str, str], int]) -> dict[str, int]:
    return {m: n for (m, corpus, kind), n in declared.items() if corpus == panel.corpus and kind == panel.kind}


def in_progress(panel: Panel, series: Sequence[Series],
                declared: Mapping[tuple[str, str, str], int] | None) -> dict[str, tuple[int, int]]:
    """method → (points run, declared) of the panel's methods that have not run every point the experiment
    declares on its corpus (declared methods with no record yet included): their frontiers are provisional,
    since a frontier drawn from part of a sweep is not its frontier."""
    if not declared:
        return {}
    run = _run(series)
    return {m: (run.get(m, 0), n) for m, n in _wanted(panel, declared).items() if run.get(m, 0) < n}


def points_run(panel: Panel, series: Sequence[Series],
               declared: Mapping[tuple[str, str, str], int]) -> tuple[int, int]:
    """(points run, points declared) over every method the experiment declares on the panel's corpus and kind."""
    want, have = _wanted(panel, declared), _run(series)
    return sum(min(have.get(m, 0), n) for m, n in want.items()), sum(want.values())


def progress_note(missing: Mapping[str, tuple[int, int]]) -> str:
    """A panel's line on its methods in progress (empty when every declared point has run)."""
    if not missing:
        return ""
    counts = ", ".join(f"{m} {r} of {n} point{'' if n == 1 else 's'}" for m, (r, n) in sorted(missing.items()))
    return (f"**Sweep in progress**: {counts}. Their frontiers and areas are provisional: a frontier drawn from "
            "part of a sweep is not its frontier.")


def _order_key(settings: Mapping[str, Any], varies: Sequence[str]) -> tuple:
    """Configurations ordered by the settings that vary, numbers by value (4 before 16), the rest as text."""
    return tuple((0, float(v), "") if _is_number(v) else (1, 0.0, str(v))
                 for v in (settings.get(k) for k in varies))


def _point(label: str, seeds: Mapping[int, Mapping[str, float]], cells: Sequence[str] = ()) -> Point:
    values: dict[str, dict[int, float]] = {}
    for seed, scores in seeds.items():
        for metric, v in scores.items():
            values.setdefault(metric, {})[seed] = v
    return Point(label, values, tuple(cells))


def protocol_differences(panels: Iterable[Panel]) -> list[str]:
    """What varies among ``panels`` beside corpus, backbone and kind: ``preset``, ``train_split``,
    ``scoring_protocol`` and ``scoring.<setting>``, so that two panels of one table never carry the same title."""
    panels = list(panels)
    out = [k for k in ("preset", "train_split", "scoring_protocol") if len({getattr(p, k) for p in panels}) > 1]
    scorings = [json.loads(p.scoring) for p in panels]
    keys = sorted(set().union(*scorings)) if scorings else []
    return out + [f"scoring.{k}" for k in keys if len({json.dumps(c.get(k)) for c in scorings}) > 1]


def auc_span(series: Sequence[Series], x: str) -> tuple[float, float]:
    """The sparsity range a panel's areas are taken over (the same for every method of the panel)."""
    lo, hi = AUC_RANGE[x]
    if hi is None:
        xs = [p.mean(x) for s in series if not s.reference for p in s.points if math.isfinite(p.mean(x))]
        hi = max(xs) if xs else math.nan
    return lo, hi


def default_levels(series: Sequence[Series], x: str, n: int = 5) -> list[float]:
    """``n`` levels across the union of the ranges of the panel's frontiers with two or more points."""
    ranges = [s.frontier(x).range for s in series if not s.reference and len(s.frontier(x).front) >= 2]
    if not ranges:
        return []
    return nice_levels(min(r[0] for r in ranges), max(r[1] for r in ranges), n)


# -- the table ---------------------------------------------------------------------------------------

FORMATS = ("md", "csv")


def _value(mean: float, std: float, digits: int = 3) -> str:
    if not math.isfinite(mean):
        return "n/a"
    return format_number(mean, digits) + (f" ± {format_spread(mean, std, digits)}" if math.isfinite(std) else "")


def _at(at: AtLevel | None) -> str:
    if at is None:
        return "–"
    return ("" if at.paired or not math.isfinite(at.std) else "~") + _value(at.mean, at.std)


def _point_text(p: Point, x: str) -> str:
    one = " (1 seed)" if p.n(ACCURACY) == 1 else ""
    return f"{format_number(p.mean(x), 3)} → {_value(p.mean(ACCURACY), p.std(ACCURACY))}{one}"


def _seeds(points: Sequence[Point]) -> str:
    """Seeds per point: one number when every point has as many, else the range."""
    counts = sorted({p.n(ACCURACY) for p in points})
    return str(counts[0]) if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"


def _row(s: Series, x: str, levels: Sequence[float], span: tuple[float, float]) -> list[str]:
    f = s.frontier(x)
    if not f.points:
        return [s.name, "0", "–", "no point has both readings", "n/a", *("–" for _ in levels)]
    if s.reference:
        frontier = f"reference: {_point_text(f.points[0], x)}"
    elif len(f.points) == 1:
        frontier = f"1 point: no frontier ({_point_text(f.points[0], x)})"
    else:
        frontier = "; ".join(f"{_point_text(p, x)} [{p.label}]" for p in f.front)
        if f.dominated:
            frontier += "; dominated: " + ", ".join(p.label for p in f.dominated)
    counted = "–" if s.reference else f"{len(f.front)} / {len(f.points)}"
    area = math.nan if s.reference else f.auc(span)
    auc = format_number(area, 3) if math.isfinite(area) else "n/a"
    cells = ["–" if s.reference or len(f.points) < 2 else _at(f.at(level)) for level in levels]
    return [s.name, counted, _seeds(f.points), frontier, auc, *cells]


def _headers(x: str, levels: Sequence[float], y: str | None = None) -> list[str]:
    acc = aggregate_info("frontier_accuracy")
    level_header = acc.header if acc else "acc @ {level}"
    points, auc = aggregate_info("frontier_points"), aggregate_info("frontier_auc")
    return ["method", points.header if points else "frontier / swept", "seeds",
            f"frontier ({header(x)} → {accuracy_label(x, short=True, y=y)})", f"{auc.header if auc else 'frontier AUC'} ↑",
            *(level_header.replace("{level}", f"{header(x)} {text}") for text in level_texts(levels))]


def level_texts(levels: Sequence[float]) -> list[str]:
    """The levels with as many decimals as the most precise one needs (at most 6), the same for all."""
    digits = next((d for d in range(7) if all(abs(round(v, d) - v) < 1e-9 for v in levels)), 6)
    return [f"{v:.{digits}f}" for v in levels]


def render_markdown(panels: Mapping[Panel, Sequence[Series]], x: str,
                    levels: Sequence[float] | None = None, brief: bool = False,
                    declared: Mapping[tuple[str, str, str], int] | None = None) -> str:
    """One Markdown table per panel, under its title, and the notes a reader needs.

    ``brief``: without the column that lists each frontier's points (a table narrow enough for a README:
    the matched-sparsity readings and the area, the points themselves in the full table).  ``declared``
    (:func:`declared_points` of the experiment file): a method that has not run every point it declares is
    named with its count, and the panel says its sweep is in progress."""
    from tabulate import tabulate

    check_reading(x)
    protocols = protocol_differences(panels)
    direction = "higher" if READINGS[x] > 0 else "fewer"
    y = panels_accuracy(panels, x)
    y_words = accuracy_label(x, y=y) + (f" {MASKED_NOTE}" if y == MASKED_ACCURACY else " ") if y else \
        (f"{accuracy_label(x)} {MASKED_NOTE}or, for records scored before protocol {MASKED_SINCE} (which have none), "
         "probe accuracy, as each table's header says ")
    blocks = [f"Accuracy–sparsity frontiers: x = {header(x)} ({direction} = sparser), y = {y_words}"
              f"(mean ± std over seeds). A point is one configuration of a method; the frontier keeps the points "
              "no other point of the method is at least as sparse and as accurate as; accuracy at a level is "
              "interpolated along it, never extrapolated (–: outside its range; ~: spread interpolated, the "
              "neighbours share fewer than two seeds). Definitions: docs/frontiers.md."]
    methods = [s for ss in panels.values() for s in ss if not s.reference]
    if methods and all(len(s.frontier(x).points) <= 1 for s in methods):
        blocks.append("**Every method has one sweep point here: no frontier yet.** Run each method over its "
                      "declared sweep to draw one; until then this table lists single points.")
    for panel, series in panels.items():
        lv = list(levels) if levels is not None else default_levels(series, x)
        span = auc_span(series, x)
        rows, heads = [_row(s, x, lv, span) for s in series], _headers(x, lv, panel.accuracy_of(x))
        missing = in_progress(panel, series, declared)
        for row, s in zip(rows, series):
            if s.method in missing and not s.reference:
                row[0] = f"{s.name} ({missing[s.method][0]} of {missing[s.method][1]} points)"
        if brief:  # a reference row's one point moves into the column the points' listing leaves
            rows = [[r[0], r[3].removeprefix("reference: ") if s.reference else r[1], *r[2:3], *r[4:]]
                    for r, s in zip(rows, series)]
            heads = [heads[0], f"{heads[1]} (reference: {header(x)} → acc)", heads[2], *heads[4:]]
        note = progress_note(missing)
        blocks.append(f"### {panel.title(protocols)}\n\n" + (f"{note}\n\n" if note else "")
                      + tabulate(rows, headers=heads, tablefmt="github", disable_numparse=True))
    return "\n\n".join(blocks)


def frontier_frame(panels: Mapping[Panel, Sequence[Series]], x: str, levels: Sequence[float] | None = None,
                   declared: Mapping[tuple[str, str, str], int] | None = None):
    """The same, long: one row per sweep point (``row = point``) and per matched level (``row = level``);
    with ``declared``, a ``points_declared`` column (a method's frontier is provisional below it)."""
    import pandas as pd

    check_reading(x)
    rows = []
    for panel, series in panels.items():
        lv = list(levels) if levels is not None else default_levels(series, x)
        span = auc_span(series, x)
        base = {"corpus": panel.corpus, "backbone": panel.backbone, "encoder": panel.encoder, "kind": panel.kind,
                "preset": panel.preset, "train_split": panel.train_split, "x": x}
        y = panel.accuracy_of(x)
        for s in series:
            f = s.frontier(x)
            auc = math.nan if s.reference else f.auc(span)
            head = {**base, "method": s.method, "reference": s.reference, "frontier_auc": auc}
            if declared is not None:
                head["points_declared"] = None if s.reference else declared.get((s.method, panel.corpus, panel.kind))
            for p in f.points:
                rows.append({**head, "row": "point", "label": p.label, "seeds": p.n(ACCURACY),
                             "x_mean": p.mean(x), "x_std": p.std(x), f"{y}_mean": p.mean(ACCURACY),
                             f"{y}_std": p.std(ACCURACY),
                             "on_frontier": any(p is q for q in f.front)})
            if s.reference or len(f.points) < 2:
                continue
            for level in lv:
                at = f.at(level)
                rows.append({**head, "row": "level", "label": "", "x_mean": level,
                             f"{y}_mean": at.mean if at else math.nan,
                             f"{y}_std": at.std if at else math.nan,
                             "seeds": len(at.per_seed) if at else 0, "on_frontier": at is not None})
    return pd.DataFrame(rows)


def render(records: Iterable[dict[str, Any]], x: str = DEFAULT_READING, fmt: str = "md",
           levels: Sequence[float] | None = None) -> str:
    """The frontier table of ``records`` (Markdown or CSV); empty when no record is usable."""
    if fmt not in FORMATS:
        raise UserError(f"unknown format {fmt!r} for the frontier table; choose from: {', '.join(FORMATS)}")
    panels = collect(records)
    if not panels:
        return ""
    if fmt == "csv":
        return frontier_frame(panels, x, levels).to_csv(index=False, float_format="%.6g")
    return render_markdown(panels, x, levels)


#: A reference point stands at a matched level when its sparsity is within this share of the level.
REFERENCE_MATCH = 0.15


def render_matched_across(panels: Mapping[Panel, Sequence[Series]], x: str, levels: Sequence[float],
                          first_seed: Mapping[tuple[str, str], tuple[int, int]] | None = None) -> str:
    """One Markdown table for panels of one kind across corpora (a README's summary): a row per method with,
    per corpus, its frontier's area and its accuracy at each level (a method of one point, a control, is listed under the
    table with that point); a row per reference family (e.g. the PCA
    of the embedding at several sizes) whose cell at a level holds the member whose sparsity is within
    :data:`REFERENCE_MATCH` of it, its own sparsity in brackets; the references that match no level are
    listed under the table with their one point.

    ``first_seed`` (a sweep in progress): (method, corpus) → (first-seed points run, declared).  A corpus where
    some method has not run every declared point shows each method's count instead of its numbers: a
    frontier drawn from part of a sweep is not its frontier, and every area of a panel spans the panel's
    densest point, so one missing point moves the others' areas too."""
    from tabulate import tabulate

    check_reading(x)
    y = panels_accuracy(panels, x)
    y_words = accuracy_label(x, y=y) if y else f"probe accuracy, masked where scored at protocol {MASKED_SINCE} or later"
    corpora = list(dict.fromkeys(p.corpus for p in panels))
    texts = level_texts(levels)
    methods: dict[str, dict[str, list[str]]] = {}
    families: dict[str, dict[str, list[Series]]] = {}
    single: list[tuple[str, str]] = []
    for panel, series in panels.items():
        span = auc_span(series, x)
        for s in series:
            if s.reference:
                families.setdefault(s.family, {}).setdefault(panel.corpus, []).append(s)
                continue
            f = s.frontier(x)
            area = math.nan if len(f.points) < 2 else f.auc(span)
            if len(f.points) == 1:
                single.append((panel.corpus, f"{s.name} on {panel.corpus}: {_point_text(f.points[0], x)}"))
            methods.setdefault(s.method, {})[panel.corpus] = [
                format_number(area, 3) if math.isfinite(area) else "n/a",
                *("–" if len(f.points) < 2 else _at(f.at(level)) for level in levels)]
    blank = ["–"] * (1 + len(levels))
    progress = dict(first_seed or {})
    waiting = sorted({c for (_, c), (run, declared) in progress.items() if run < declared})
    corpora += [c for c in waiting if c not in corpora]
    for (method, corpus), (run, declared) in progress.items():
        if corpus in waiting:
            methods.setdefault(method, {})[corpus] = [f"{run} of {declared} point{'' if declared == 1 else 's'}", *blank[1:]]
    for method, by in methods.items():
        for corpus in waiting:
            if (method, corpus) not in progress:
                by[corpus] = ["not in the sweep", *blank[1:]]
    heads = ["method", *(h for c in corpora for h in (f"{c}: AUC", *(f"@{t}" for t in texts)))]
    rows = [[name, *(v for c in corpora for v in by.get(c, blank))] for name, by in sorted(methods.items())]
    unmatched = []
    for family, by in families.items():
        cells, used = [], set()
        for c in corpora:
            cells.append("")
            for level in levels:
                near = [s for s in by.get(c, []) if math.isfinite(s.points[0].mean(x))
                        and abs(s.points[0].mean(x) - level) <= REFERENCE_MATCH * level]
                best = min(near, key=lambda s: abs(s.points[0].mean(x) - level), default=None)
                if best is None:
                    cells.append("–")
                    continue
                used.add(id(best))
                p = best.points[0].read_by(x, best.panel.accuracy_of(x))
                cells.append(f"{_value(p.mean(ACCURACY), p.std(ACCURACY))} ({format_number(p.mean(x), 3)})")
        if used:
            rows.append([f"{family} (reference)", *cells])
        unmatched += [f"{s.name} on {c}: {_point_text(s.points[0].read_by(x, s.panel.accuracy_of(x)), x)}" for c in corpora
                      for s in by.get(c, []) if id(s) not in used]
    table = tabulate(rows, headers=heads, tablefmt="github", disable_numparse=True)
    for corpus in waiting:
        run = sum(r for (_, c), (r, _) in progress.items() if c == corpus)
        declared = sum(d for (_, c), (_, d) in progress.items() if c == corpus)
        table += (f"\n\n{corpus}: first seed in progress ({run} of {declared} sweep points run); its areas and "
                  "matched accuracies appear once every point has run.")
    if shown := [text for corpus, text in single if corpus not in waiting]:
        table += f"\n\nOne point, no frontier ({header(x)} → {y_words}): " + "; ".join(shown) + "."
    if unmatched:
        table += f"\n\nReferences at no level ({header(x)} → {y_words}): " + "; ".join(unmatched) + "."
    return table


def frontier_point_cells(records: Iterable[dict[str, Any]]) -> set[str]:
    """Cell ids of the method records whose point lies on its method's frontier in some panel (mode kind) under
    some sparsity reading: the points that further seeds are for (:mod:`bench.run.frontier_seeds`)."""
    on: set[str] = set()
    for series in collect(records).values():
        for s in series:
            if not s.reference:
                for x in READINGS:
                    for p in s.frontier(x).front:
                        on.update(p.cells)
    return on

