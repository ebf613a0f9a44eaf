"""Clustering the codes without labels: do the code's own clusters find the classes? (MTEB's clustering task.)

k-means (scikit-learn ``KMeans``, Lloyd, k-means++ seeding, :data:`N_INIT` seeded restarts,
``random_state`` from the cell's seed) with k = the number of classes on the test codes as they are
(no scaling: the geometry the code defines; a sparse code stays sparse, so a 1536-wide TopK code costs
its active entries), then the V-measure (harmonic mean of homogeneity and completeness: MTEB's
clustering score) and the adjusted Rand index against the labels.  Splits above :data:`MAX_POINTS`
codes are clustered on a seeded random subsample of that many (DBpedia's 14K test codes → 10K):
k-means' cost grows with the points, its scores barely do.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import adjusted_rand_score, v_measure_score
from threadpoolctl import threadpool_limits

from tasks.code_stats import as_codes

#: Seeded k-means restarts (the best inertia is kept).
N_INIT = 3
#: Codes clustered at most (a seeded subsample beyond).
MAX_POINTS = 10_000


@dataclass(frozen=True)
class ClusterScore:
    v_measure: float
    adjusted_rand: float
    clusters: int
    points: int
    inertia: float


def cluster_codes(codes: Any, labels: np.ndarray, *, random_state: int = 0, n_init: int = N_INIT,
                  max_points: int = MAX_POINTS, threads: int | None = 1) -> ClusterScore:
    """k-means with k = the classes of ``labels``; V-measure and ARI of its clusters against them."""
    x = as_codes(codes)
    y = np.asarray(labels)
    if x.shape[0] != len(y):
        raise ValueError(f"codes [N, D] and labels [N] must match, got {x.shape} and {y.shape}")
    rng = np.random.default_rng(np.random.SeedSequence([int(random_state), 0xC1]))
    if x.shape[0] > max_points:
        keep = np.sort(rng.choice(x.shape[0], max_points, replace=False))
        x, y = x[keep], y[keep]
    k = len(np.unique(y))
    if k < 2:
        raise ValueError("clustering against labels needs at least 2 classes")
    seed = int(rng.integers(2**31 - 1))
    # imported on first use, not with the metric table that every `bench` command loads: loaded there, it
    # shifted a cell's start so that a Ctrl-C landed inside torch's import, which CPython 3.11 then reports
    # as a death by SIGINT instead of exit 130 (measured: tests/integration/test_hardening.py, 3 runs in 4)
    from sklearn.cluster import KMeans

    with warnings.catch_warnings(), threadpool_limits(limits=threads):
        # fewer distinct codes than classes (a collapsed code) is a result, not an error
        warnings.simplefilter("ignore", ConvergenceWarning)
        km = KMeans(n_clusters=min(k, x.shape[0]), n_init=n_init, random_state=seed).fit(x)
    pred = km.labels_
    return ClusterScore(float(v_measure_score(y, pred)), float(adjusted_rand_score(y, pred)), int(len(np.unique(pred))),
                        int(x.shape[0]), float(km.inertia_))
