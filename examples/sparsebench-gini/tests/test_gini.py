"""The metric against hand-computed values, and against sparsebench's rules for scorers."""
from __future__ import annotations

import numpy as np
import pytest

from sparsebench_gini import GINI, gini
from tasks.metrics import check_scorer, scorer_problems
from tasks.scoring import ScoringConfig


def test_known_values():
    d = 8
    np.testing.assert_allclose(gini(np.ones((1, d))), [0.0], atol=1e-12)
    np.testing.assert_allclose(gini(np.eye(d)[:1] * -3.0), [1 - 1 / d])
    # (0, 1, 3): c/‖c‖₁ = (0, ¼, ¾), weights (2.5, 1.5, 0.5)/3 → 1 − 2(¼·1.5 + ¾·0.5)/3 = 0.5
    np.testing.assert_allclose(gini(np.array([[3.0, 0.0, 1.0]])), [0.5])
    assert gini(np.zeros((1, 4)))[0] == 0.0


def test_it_follows_the_rules_for_scorers():
    assert scorer_problems(GINI) == []
    out = check_scorer(GINI, {"test_codes": np.random.default_rng(0).normal(size=(50, 6))}, ScoringConfig())
    assert 0.0 < out.scalars["gini"] < 1.0


def test_sparser_codes_score_higher():
    rng = np.random.default_rng(1)
    dense = rng.normal(size=(200, 16))
    sparse = dense * (rng.random((200, 16)) < 0.2)
    assert gini(sparse).mean() > gini(dense).mean() + 0.3
    with pytest.raises(ValueError):
        gini(np.zeros(3))  # a single code must still be [1, D]
