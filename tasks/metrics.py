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
import re
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Callable, Iterable, Mapping

import numpy as np

ENTRY_POINT_GROUP = "sparsebench.metrics"

#: What a scorer may ask for.  ``model`` inputs exist once per trained model, the rest per encode mode.
INPUTS = {
    "test_codes": "codes of the test split [N, D]",
    "train_codes": "codes of the training split [N_train, D]",
    "test_labels": "class labels of the test split [N]",
    "train_labels": "class labels of the training split [N_train]",
    "test_activity": "which test entries are active, in [0, 1] [N, D], read by the mode's activity rule",
    "mean_codes": "per test sentence, the mean of K draws of a stochastic mode [N, D]",
    "test_inputs": "the embedding backbone's input embeddings of the test split [N, E]",
    "test_decoded": "the embedding decoded from the mode's test codes [N, E]",
    "train_decoded": "the embedding decoded from the mode's training codes [N_train, E]",
    "reconstruction": "the model's summed reconstruction and loss terms over the test split (per model)",
}


@dataclass(frozen=True)
class Metric:
    """One reported number: its column name, whether higher is better, header, format and meaning."""

    name: str
    higher_is_better: bool | None
    header: str
    definition: str
    fmt: str = ".3f"
    #: "paper" (HSVAE's released code), "harness" (this harness's protocol) or a plugin's own tag.
    source: str = "harness"

    def header_for(self, column: str) -> str:
        """The header of ``column``: a family's placeholder replaced by the column's own part."""
        if "{" not in self.name:
            return self.header
        prefix, _, rest = self.name.partition("{")
        suffix = rest.partition("}")[2]
        part = column[len(prefix):len(column) - len(suffix)] if suffix else column[len(prefix):]
        return re.sub(r"\{(n|term)\}", part, self.header)

    def matches(self, column: str) -> bool:
        if "{" not in self.name:
            return column == self.name
        pattern = re.escape(self.name).replace(r"\{n\}", r"\d+").replace(r"\{term\}", r"[A-Za-z0-9_]+")
        return re.fullmatch(pattern, column) is not None


@dataclass
class Scored:
    """A scorer's output: flat scalars for the leaderboard, nested JSON-ready data for plots and audit."""

    scalars: dict[str, float | int] = field(default_factory=dict)
    analysis: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Scorer:
    """A computation over ``inputs`` (names from :data:`INPUTS`) yielding the declared ``metrics``.

    ``compute(inputs, settings)`` gets a mapping with at least the declared inputs plus ``seed``, and
    the scoring settings (``tasks.scoring.ScoringConfig``); it returns :class:`Scored`.  ``per`` is
    ``"mode"`` (once per encode mode) or ``"model"`` (once per trained model).
    """

    name: str
    inputs: tuple[str, ...]
    compute: Callable[[Mapping[str, Any], Any], Scored]
    metrics: tuple[Metric, ...]
    per: str = "mode"
    origin: str = "built-in"

    def __post_init__(self) -> None:
        unknown = [i for i in self.inputs if i not in INPUTS]
        if unknown:
            raise ValueError(f"scorer {self.name!r}: unknown inputs {unknown}; valid inputs: {', '.join(INPUTS)}")
        if self.per not in ("mode", "model"):
            raise ValueError(f"scorer {self.name!r}: per must be 'mode' or 'model', not {self.per!r}")


def builtin_scorers() -> tuple[Scorer, ...]:
    from tasks.scorers import BUILTIN_SCORERS

    return BUILTIN_SCORERS


_PLUGINS: list[Scorer] | None = None
_PLUGIN_ERRORS: list[str] = []


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
                _PLUGIN_ERRORS.append(f"metric plugin {ep.name!r} ({origin}, {ep.value}): {type(exc).__name__}: {exc}")
    return _PLUGINS


def plugin_errors() -> list[str]:
    plugin_scorers()
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
            _PLUGIN_ERRORS.append(f"metric plugin {s.name!r} ({s.origin}) redefines {clash}; left out")
            continue
        taken |= {m.name for m in s.metrics}
        scorers.append(s)
    return scorers


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


def scorer_problems(scorer: Any) -> list[str]:
    """The rules a scorer (built-in or plugin) must follow to be trusted: the metric conformance check."""
    problems = []
    for attr in ("name", "inputs", "compute", "metrics"):
        if not hasattr(scorer, attr):
            problems.append(f"has no `{attr}`")
    if problems:
        return problems
    if not callable(scorer.compute):
        problems.append("`compute` is not callable")
    unknown = [i for i in scorer.inputs if i not in INPUTS]
    if unknown:
        problems.append(f"asks for unknown inputs {unknown}; valid: {', '.join(INPUTS)}")
    for m in scorer.metrics:
        if not isinstance(m, Metric):
            problems.append(f"metric {m!r} is not a tasks.metrics.Metric")
        elif not m.definition.strip():
            problems.append(f"metric {m.name!r} has no definition")
    return problems


def check_scorer(scorer: Scorer, inputs: Mapping[str, Any], settings: Any) -> Scored:
    """Run ``scorer`` on ``inputs`` and check what it returns: declared names only, finite numbers."""
    out = scorer.compute(inputs, settings)
    if not isinstance(out, Scored):
        raise ValueError(f"scorer {scorer.name!r} returned {type(out).__name__}, expected tasks.metrics.Scored")
    for key, value in out.scalars.items():
        if not any(m.matches(key) for m in scorer.metrics):
            raise ValueError(f"scorer {scorer.name!r} returned {key!r}, which none of its metrics declares")
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ValueError(f"scorer {scorer.name!r}: {key} = {value!r} is not a number")
        if not math.isfinite(float(value)):
            raise ValueError(f"scorer {scorer.name!r}: {key} = {value!r} is not finite")
    return out


def format_value(column: str, value: float) -> str:
    info = metric_info(column)
    return format(value, info.fmt if info else ".3f")


def metric_rows(metrics: Iterable[Metric] | None = None) -> list[tuple[str, str, str, str]]:
    """(name, direction, header, definition) rows: the README's metric table."""
    arrow = {True: "↑", False: "↓", None: ""}
    return [(m.name, arrow[m.higher_is_better], m.header, f"{m.definition} [{m.source}]")
            for m in (metrics if metrics is not None else all_metrics())]
