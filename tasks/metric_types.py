"""The vocabulary of the metric table: what a metric, a scorer and a scorer's output are, and the rules
a scorer (built-in or plugin) must follow.  See :mod:`tasks.metrics` for the table itself."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

#: What a scorer may ask for.  ``model`` inputs exist once per trained model, the rest per encode mode.
INPUTS = {
    "test_codes": "codes of the test split [N, D]",
    "train_codes": "codes of the training split [N_train, D]",
    "test_labels": "class labels of the test split [N]",
    "train_labels": "class labels of the training split [N_train]",
    "test_activity": "which test entries are active, in [0, 1] [N, D], read by the mode's activity rule",
    "train_activity": "which training entries are active, in [0, 1] [N_train, D], by the same rule",
    "mean_codes": "per test sentence, the mean of K draws of a stochastic mode [N, D]",
    "test_inputs": "the embedding backbone's input embeddings of the test split [N, E]",
    "test_decoded": "the embedding decoded from the mode's test codes [N, E]",
    "train_decoded": "the embedding decoded from the mode's training codes [N_train, E]",
    "headline": "True for a mode that a table shows (each kind's headline mode, the default mode, a reference's "
                "code); absent for the others, which the costliest scorers (the k-sparse surface) skip",
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
    #: The values the metric can take, (low, high), either None for unbounded: a stored value outside
    #: them (an accuracy of 7.5) marks the record damaged (:func:`tasks.metrics.value_problems`).
    bounds: tuple[float | None, float | None] | None = None

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
    #: Wall seconds of each scorer that ran (provenance for the record's timing, never a metric).
    seconds: dict[str, float] = field(default_factory=dict)


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
