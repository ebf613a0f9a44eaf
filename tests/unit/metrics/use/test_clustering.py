"""Clustering: separable blobs give V-measure 1, class-blind codes 0; seeded, subsampled beyond the cap."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from tasks.clustering import cluster_codes


def _blobs(rng, classes=4, per_class=50, d=6, spread=0.1):
    y = np.repeat(np.arange(classes), per_class)
    centres = np.eye(classes, d) * 10
    return centres[y] + spread * rng.standard_normal((len(y), d)), y


def test_separable_blobs_are_found_exactly():
    x, y = _blobs(np.random.default_rng(0))
    c = cluster_codes(x, y, random_state=0)
    assert (c.v_measure, c.adjusted_rand) == (pytest.approx(1.0), pytest.approx(1.0))
    assert (c.clusters, c.points) == (4, 200)
    s = cluster_codes(sp.csr_matrix(np.where(np.abs(x) > 1, x, 0.0)), y, random_state=0)
    assert s.v_measure == pytest.approx(1.0), "a sparse code is clustered as it is"


def test_codes_blind_to_the_class_score_near_zero():
    rng = np.random.default_rng(1)
    x, _ = _blobs(rng)
    shuffled = rng.permutation(np.repeat(np.arange(4), 50))
    c = cluster_codes(x, shuffled, random_state=0)
    assert c.v_measure < 0.1 and abs(c.adjusted_rand) < 0.05


def test_seeded_and_capped():
    rng = np.random.default_rng(2)
    x, y = _blobs(rng, spread=6.0)  # overlapping: the seed matters
    assert cluster_codes(x, y, random_state=3) == cluster_codes(x, y, random_state=3)
    capped = cluster_codes(x, y, random_state=3, max_points=120)
    assert capped.points == 120
    collapsed = cluster_codes(np.zeros((40, 3)), np.repeat([0, 1], 20))
    assert collapsed.v_measure == 0.0 and collapsed.clusters == 1, "a collapsed code finds one cluster, no error"
