"""Metrics of a method's sweep, not of one cell: declared like the per-cell metric table (name,
direction, header, definition), so the frontier table, the figure and docs/frontiers.md read one declaration.

They do not fit :mod:`tasks.metrics`: no scorer computes them from a mode's codes; ``bench.report.frontier``
computes them from stored records, over every sweep point of a method in one panel (corpus,
backbone, mode kind).  Kept out of :func:`tasks.metrics.all_metrics` on purpose, so a per-cell column
can never be confused with an aggregate, and no aggregate becomes a trade-off axis by mistake.
"""
from __future__ import annotations

from tasks.metric_types import Metric

AGGREGATE_METRICS: tuple[Metric, ...] = (
    Metric("frontier_points", None, "frontier / swept",
           "sweep points of a method (distinct configurations, seeds grouped) on its accuracy–sparsity frontier: "
           "no other point of the same method is at least as sparse and at least as accurate (seed means), "
           "strictly better in one; of all its sweep points", ".0f"),
    Metric("frontier_accuracy", True, "acc @ {level}",
           "probe accuracy (masked_probe_accuracy on the active-dims reading, probe_accuracy on Average Hoyer) "
           "at a matched sparsity level, interpolated linearly between the two frontier points "
           "around the level (seed means), only inside the frontier's range, never extrapolated; ± the sample std "
           "over seeds of each seed's accuracy interpolated with the same weights (seeds both points share; "
           "fewer than two shared: the points' stds interpolated, marked ~)"),
    Metric("frontier_auc", True, "frontier AUC",
           "the area the frontier dominates: mean over the panel's sparsity range (Average Hoyer [0, 1]; active "
           "dims [0, the panel's densest sweep point]) of the best probe accuracy the method reaches at that "
           "sparsity or sparser, linear between frontier points, the densest frontier point's accuracy on the "
           "denser side, 0 beyond its sparsest point; in [0, 1], needs ≥ 2 sweep points"),
)


def aggregate_info(name: str) -> Metric | None:
    return next((m for m in AGGREGATE_METRICS if m.name == name), None)
