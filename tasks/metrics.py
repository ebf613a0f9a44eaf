"""The metric table: every number the harness reports, declared once with its direction, header and meaning.

A *scorer* is one computation over a mode's inputs (codes, labels, activity, K-draw means, decoded
embeddings, ...) that yields one or more *metrics*.  The evaluator loops over the scorers whose
inputs exist; the leaderboard and the plots read each metric's direction (``higher_is_better``:
True, False, or None for counts and diagnostics that are never ranked), header and format from
here; the metric table of docs/metrics.md is generated from it (and a test checks that they agree).  As in
lm-evaluation-harness, the direction sits beside the metric, never guessed from its name.

Adding a metric = one :class:`Scorer` entry (here, or in a plugin through the entry-point group
``sparsebench.metrics``), its function and its test.  See ``docs/adding-a-metric.md``.

Names ending in ``@{n}`` are families (``probe_accuracy@{n}`` covers ``probe_accuracy@10``, ...).
"""
from __future__ import annotations

import math
from typing import Any, Iterable, Mapping

from sparsebench.registry import BUILT_IN, Entry, Registry, builtin
from tasks.metric_types import INPUTS, Metric, Scored, Scorer, check_scorer, scorer_problems
from tasks.scorers import BUILTIN_SCORERS

__all__ = ["ENTRY_POINT_GROUP", "INPUTS", "METRICS", "Metric", "Scored", "Scorer", "all_metrics", "all_scorers",
           "builtin_scorers", "check_scorer", "direction", "metric_info", "metric_rows", "plugin_errors",
           "plugin_failures", "plugin_scorers", "reset_plugins", "scorer_problems", "scorer_signature"]

ENTRY_POINT_GROUP = "sparsebench.metrics"


def builtin_scorers() -> tuple[Scorer, ...]:
    return BUILTIN_SCORERS


def _items(loaded: Any) -> list[Any]:
    """A metric entry point names one scorer or a list of them."""
    return list(loaded) if isinstance(loaded, (list, tuple)) else [loaded]


def _check(name: str, loaded: Any) -> list[str]:
    return [problem for item in _items(loaded) for problem in scorer_problems(item)]


def _adapt(entry: Entry[tuple[Scorer, ...]], loaded: Any) -> tuple[Scorer, ...]:
    """The plugin's scorers, each marked with the plugin's origin (records name it: ``name:origin``)."""
    return tuple(Scorer(s.name, s.inputs, s.compute, s.metrics, s.per, entry.origin) for s in _items(loaded))


#: The metric table's registry (:mod:`sparsebench.registry`): built-in scorers by name, plugins by entry point.
METRICS: Registry[tuple[Scorer, ...]] = Registry(
    "metric", ENTRY_POINT_GROUP, builtins=lambda: {s.name: builtin(s.name, (s,)) for s in builtin_scorers()},
    check=_check, adapt=_adapt, plural="metric scorers")

_LOADED: tuple[list[Scorer], list[tuple[str, str]]] | None = None


def _plugins() -> tuple[list[Scorer], list[tuple[str, str]]]:
    """(usable plugin scorers, (name, message) of every plugin left out), read once per process.

    The registry's rule holds for metric names too, since a table column is a metric name: a plugin
    scorer may not redefine a built-in metric, and two plugins declaring one metric are both left out.
    A plugin that fails to load or breaks the rules is left out and said so, never raised: one bad
    metric must not stop a sweep.
    """
    global _LOADED
    if _LOADED is None:
        left_out = list(METRICS.problems())
        loaded: list[Scorer] = []
        for name, entry in METRICS.entries().items():
            if entry.origin == BUILT_IN or entry.error:
                continue
            try:
                loaded += entry.load()
            except Exception as exc:  # noqa: BLE001 - reported, not raised
                left_out.append((name, str(exc)))
        builtin_names = {m.name for s in builtin_scorers() for m in s.metrics}
        claims: dict[str, list[Scorer]] = {}
        for s in loaded:
            for m in s.metrics:
                claims.setdefault(m.name, []).append(s)
        usable = []
        for s in loaded:
            shadowing = [m.name for m in s.metrics if m.name in builtin_names]
            shared = sorted({o.origin for m in s.metrics for o in claims[m.name] if len(claims[m.name]) > 1})
            if shadowing:
                left_out.append((s.name, f"metric plugin {s.name!r} ({s.origin}) redefines {shadowing}: a plugin may "
                                         "not shadow a built-in metric; left out"))
            elif shared:
                left_out.append((s.name, f"metric plugin {s.name!r} declares a metric that more than one plugin "
                                         f"declares ({'; '.join(shared)}): all of them are left out"))
            else:
                usable.append(s)
        _LOADED = (usable, left_out)
    return _LOADED


def plugin_scorers() -> list[Scorer]:
    """Scorers from installed plugins (entry-point group ``sparsebench.metrics``) that can be used."""
    return list(_plugins()[0])


def plugin_errors() -> list[str]:
    """Why each metric plugin was left out (failed to load, broke the rules, or clashed): shown by
    ``bench list metrics`` and, in one line, by ``bench leaderboard``."""
    return [message for _, message in plugin_failures()]


def plugin_failures() -> list[tuple[str, str]]:
    """(name, message) for each metric plugin left out; the name is its entry point's (or scorer's)."""
    return list(_plugins()[1])


def reset_plugins() -> None:
    """Forget loaded plugins (tests that install one at run time)."""
    global _LOADED
    _LOADED = None
    METRICS.forget_plugins()


def all_scorers() -> list[Scorer]:
    """Built-in scorers, then plugins' (a plugin may not redefine a built-in metric's name)."""
    return [*builtin_scorers(), *plugin_scorers()]


def scorer_signature() -> list[str]:
    """Which scorers a record was scored with (``name:origin``): a cell scored before a metric was added
    is re-scored from its stored weights on the next run."""
    return sorted(f"{s.name}:{s.origin}" for s in all_scorers())


def all_metrics() -> list[Metric]:
    return [m for s in all_scorers() for m in s.metrics]


def metric_info(column: str) -> Metric | None:
    """The declared metric a leaderboard column belongs to (exact names first, then families)."""
    metrics = all_metrics()
    for m in metrics:
        if m.name == column:
            return m
    for m in metrics:
        if m.matches(column):
            return m
    return None


def direction(column: str) -> int:
    """+1 if higher is better, −1 if lower is better, 0 for counts, diagnostics and undeclared columns."""
    info = metric_info(column)
    if info is None or info.higher_is_better is None:
        return 0
    return 1 if info.higher_is_better else -1


def metric_rows(metrics: Iterable[Metric] | None = None) -> list[tuple[str, str, str, str]]:
    """(name, direction, header, definition) rows: the metric table of docs/metrics.md."""
    arrow = {True: "↑", False: "↓", None: ""}
    return [(m.name, arrow[m.higher_is_better], m.header, f"{m.definition} [{m.source}]")
            for m in (metrics if metrics is not None else all_metrics())]


def value_problems(scalars: Mapping[str, Any], where: str = "") -> list[str]:
    """Why the stored values of a record's metrics cannot be numbers it reported (empty when they can).

    Every value must be a finite number (a bool, a string, NaN or infinity is never a score a scorer
    returns: a record holding one was edited or written by a broken plugin), and lie within its
    declared :attr:`Metric.bounds`.  Checked when records are read, so a bad one is counted as damaged
    and never reused as cached.
    """
    problems = []
    for name, value in scalars.items():
        label = f"{where}{name}"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(f"{label} = {value!r} is not a number")
            continue
        if not math.isfinite(value):
            problems.append(f"{label} = {value!r} is not finite")
            continue
        info = metric_info(name)
        if info is not None and info.bounds is not None:
            low, high = info.bounds
            slack = 1e-9 * max(1.0, abs(value))  # float rounding at a bound (a Hoyer of -1e-16)
            if (low is not None and value < low - slack) or (high is not None and value > high + slack):
                span = f"[{'-inf' if low is None else f'{low:g}'}, {'inf' if high is None else f'{high:g}'}]"
                problems.append(f"{label} = {value!r} is outside {span}")
    return problems
