"""A metric plugin for sparsebench: the Gini index of each code, a sparsity measure (Hurley & Rickard 2009).

Why a plugin: it shows everything a third party needs to add a metric without editing sparsebench:
a pure function over numpy arrays, a :class:`tasks.metrics.Scorer` that declares its inputs and its
metric (name, direction, header, definition), and one entry point.  Why Gini: among sparsity
measures it is the one Hurley & Rickard found to satisfy all six of their criteria; it complements
the Average Hoyer (0 for a flat code, 1 − 1/D for a one-hot code).
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from tasks.metrics import Metric, Scored, Scorer

__version__ = "0.1.0"


def gini(codes: np.ndarray) -> np.ndarray:
    """Gini index of |z| for each row of ``codes`` ``[N, D]``: 1 − 2 Σ_k (c_(k)/‖c‖₁)(D − k + ½)/D, c sorted
    ascending; 0 for a flat code, 1 − 1/D for a one-hot code, 0 for the zero code (no evidence of sparsity)."""
    c = np.sort(np.abs(np.asarray(codes, dtype=np.float64)), axis=1)
    d = c.shape[1]
    total = c.sum(1)
    weights = (d - np.arange(1, d + 1) + 0.5) / d
    safe = np.where(total > 0, total, 1.0)
    return np.where(total > 0, 1.0 - 2.0 * (c / safe[:, None]) @ weights, 0.0)


def _score(inputs: Mapping[str, Any], settings: Any) -> Scored:
    return Scored({"gini": float(gini(inputs["test_codes"]).mean())})


GINI = Scorer(
    name="gini",
    inputs=("test_codes",),
    compute=_score,
    metrics=(Metric("gini", True, "Gini", "mean Gini index of |z| per test code (Hurley & Rickard 2009): "
                    "0 flat, 1 − 1/D one-hot; higher is sparser", source="plugin sparsebench-gini"),),
)
