"""The numbers of the explore page, by hand: binary activity counts; a probability (HSVAE's sparse_mean,
E[1 − γ]) gives expected counts and class profiles that agree with the record's active fraction."""
from __future__ import annotations

import numpy as np

from bench.use.explore import PageInput, page_data


def _page(activity, codes=None):
    activity = np.asarray(activity, dtype=np.float64)
    codes = np.arange(1, activity.size + 1, dtype=np.float32).reshape(activity.shape) if codes is None else codes
    return PageInput(["a", "b", "c", "d"], codes, activity, "z ≠ 0", np.array([0, 0, 1, 1]), ("x", "y"))


def test_binary_activity_counts_sentences_and_classes():
    data = page_data(_page([[1, 0], [1, 0], [0, 0], [1, 1]]))
    d0, d1 = data["dims"]
    assert (d0["count"], d0["freq"], d0["classes"], d0["purity"]) == (3, 0.75, [2, 1], round(2 / 3, 4))
    assert (d1["count"], d1["classes"]) == (1, [0, 1])
    assert [i for i, _ in d0["top"]] == [3, 1, 0]  # by |z|: codes 7, 3, 1
    assert data["active"][3] == [2, [1, 8.0, 0, 7.0]]
    assert "probability" not in data["meta"]["rule"]


def test_probability_activity_gives_expected_counts_that_match_the_active_fraction():
    p = np.array([[0.1, 0.9], [0.1, 0.6], [0.1, 0.2], [0.1, 0.0]])
    data = page_data(_page(p))
    d0, d1 = data["dims"]
    assert (d0["count"], d0["freq"]) == (0.4, 0.1)  # never above 0.5, yet on in expectation 10 % of the time
    assert d0["classes"] == [0.2, 0.2] and d0["purity"] == 0.5
    assert (d1["count"], d1["classes"]) == (1.7, [1.5, 0.2])
    assert np.mean([d["freq"] for d in data["dims"]]) == p.mean()  # the record's active_fraction
    assert [i for i, _ in d1["top"]] == [1, 0, 2]  # by P(on)·|z|: 0.6·4, 0.9·2, 0.2·6; sentence 3 has P = 0
    assert data["active"][0] == [1, [1, 2.0]] and data["active"][3] == [0, []]
    assert "probability" in data["meta"]["rule"]
