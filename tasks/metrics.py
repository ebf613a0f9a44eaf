"""The metric table: every number the harness reports, declared once with its direction, header and meaning.

A *scorer* is one computation over a mode's inputs (codes, labels, activity, K-draw means, decoded
embeddings, ...) that yields one or more *metrics*.  The evaluator loops over the scorers whose
inputs exist; the leaderboard and the plots read each metric's direction (``higher_is_better``:
True, False, or None for counts and diagnostics that are never ranked), header and format from
here; the README's metric tables are generated from it (and a test checks that they agree).  As in
lm-evaluation-harness, the direction sits beside the metric, never guessed from its name.

Adding a metric = one :class:`Scorer` entry (here, or in a plugin through the entry-point group
``sparsebench.metrics``), its function and its test.  See ``docs/adding-a-metric.md``.

Names ending in ``@{n}`` are families (``probe_accuracy@{n}`` covers ``probe_accuracy@10``, ...).
"""
from __future__ import annotations

import math
from importlib import metadata
from typing import Any, Iterable, Mapping

from tasks.metric_types import INPUTS, Metric, Scored, Scorer, check_scorer, scorer_problems
from tasks.scorers import BUILTIN_SCORERS

__all__ = ["ENTRY_POINT_GROUP", "INPUTS", "Metric", "Scored", "Scorer", "all_metrics", "all_scorers", "builtin_scorers",
           "check_scorer", "direction", "metric_info", "metric_rows", "plugin_errors", "plugin_failures", "plugin_scorers",
           "reset_plugins", "scorer_problems", "scorer_signature"]

ENTRY_POINT_GROUP = "sparsebench.metrics"


def builtin_scorers() -> tuple[Scorer, ...]:
    return BUILTIN_SCORERS


_PLUGINS: list[Scorer] | None = None
#: (entry-point or scorer name, message) of every plugin left out, in the order found.
_PLUGIN_ERRORS: list[tuple[str, str]] = []


def _left_out(name: str, message: str) -> None:
    if (name, message) not in _PLUGIN_ERRORS:  # all_scorers() runs many times; report each problem once
        _PLUGIN_ERRORS.append((name, message))


def plugin_scorers() -> list[Scorer]:
    """Scorers from installed plugins (entry-point group ``sparsebench.metrics``), each checked once.

    A plugin that fails to load or breaks the rules is left out and its error kept in
    :func:`plugin_errors`, never raised: one bad metric must not stop a sweep.
    """
    global _PLUGINS
    if _PLUGINS is None:
        _PLUGINS = []
        try:
            eps = list(metadata.entry_points(group=ENTRY_POINT_GROUP))
        except Exception:  # pragma: no cover - broken site-packages metadata
            eps = []
        for ep in eps:
            dist = getattr(ep, "dist", None)
            origin = f"plugin {dist.name} {dist.version}" if dist is not None else f"plugin {ep.value}"
            try:
                loaded = ep.load()
                items = loaded if isinstance(loaded, (list, tuple)) else [loaded]
                for item in items:
                    problems = scorer_problems(item)
                    if problems:
                        raise ValueError("; ".join(problems))
                    _PLUGINS.append(Scorer(item.name, item.inputs, item.compute, item.metrics, item.per, origin))
            except Exception as exc:  # noqa: BLE001 - reported, not raised
                _left_out(ep.name, f"metric plugin {ep.name!r} ({origin}, {ep.value}): {type(exc).__name__}: {exc}")
    return _PLUGINS


def plugin_errors() -> list[str]:
    """Why each metric plugin was left out (failed to load, broke the rules, or clashed with a built-in):
    shown by ``bench list metrics`` and, in one line, by ``bench leaderboard``."""
    return [message for _, message in plugin_failures()]


def plugin_failures() -> list[tuple[str, str]]:
    """(name, message) for each metric plugin left out; the name is its entry point's (or scorer's)."""
    all_scorers()
    return list(_PLUGIN_ERRORS)


def reset_plugins() -> None:
    """Forget loaded plugins (tests that install one at run time)."""
    global _PLUGINS
    _PLUGINS = None
    _PLUGIN_ERRORS.clear()


def all_scorers() -> list[Scorer]:
    """Built-in scorers, then plugins' (a plugin may not redefine a built-in metric's name)."""
    scorers = list(builtin_scorers())
    taken = {m.name for s in scorers for m in s.metrics}
    for s in plugin_scorers():
        clash = [m.name for m in s.metrics if m.name in taken]
        if clash:
            _left_out(s.name, f"metric plugin {s.name!r} ({s.origin}) redefines {clash}; left out")
            continue
        taken |= {m.name for m in s.metrics}
        scorers.append(s)
    return scorers


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
    """(name, direction, header, definition) rows: the README's metric table."""
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
