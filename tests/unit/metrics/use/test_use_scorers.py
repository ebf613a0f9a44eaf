"""The use metrics in the metric table: declared, run by the scoring loop for every mode and for the
references (dense and sparse), following the headline probe's rule, leaderboard-ready."""
from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse as sp

import tasks.ksparse as ksparse
from tasks.activity import read_activity
from tasks.metrics import all_metrics, direction, metric_info, scorer_problems
from tasks.references import score_codes
from tasks.scorers import BUILTIN_SCORERS
from tasks.scorers_use import USE_SCORERS
from tasks.scoring import ScoringConfig, score

NAMES = {"ksparse_probes", "retrieval", "class_ablation", "clustering"}


def _codes(seed: int, n: int = 150, d: int = 24, classes: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    x = rng.exponential(size=(n, d)) * (rng.random((n, d)) < 0.2)
    x += (np.arange(d) % classes == y[:, None]) * rng.exponential(2.0, (n, d)) * (rng.random((n, d)) < 0.5)
    return x.astype(np.float32), y


def _inputs(exact_zeros: bool = True) -> dict:
    (x, y), (xt, yt) = _codes(0), _codes(1)
    activity, rule = read_activity(xt, exact_zeros=exact_zeros)
    train_activity, _ = read_activity(x, exact_zeros=exact_zeros)
    return {"seed": 0, "train_codes": x, "train_labels": y, "test_codes": xt, "test_labels": yt,
            "test_activity": activity, "train_activity": train_activity, "activity_rule": rule, "headline": True}


def test_the_use_scorers_are_built_in_and_follow_the_rules():
    assert {s.name for s in USE_SCORERS} == NAMES
    assert all(s in BUILTIN_SCORERS for s in USE_SCORERS)
    for s in USE_SCORERS:
        assert scorer_problems(s) == [] and s.per == "mode" and s.origin == "built-in"
    assert direction("ksparse_accuracy") == 1 and direction("retrieval_precision@10") == 1
    assert direction("masked_flops") == -1 and direction("retrieval_index_bytes") == -1
    assert direction("ablation_score") == 1 and direction("cluster_v_measure") == 1
    assert direction("retrieval_posting_skew") == 0 and direction("ablation_latents") == 0
    names = [m.name for m in all_metrics()]
    assert len(names) == len(set(names))


def test_the_k_sparse_surface_is_only_for_the_modes_a_table_shows():
    """Its 35 probe fits are the costliest use metric: a mode no table shows (no ``headline`` input) skips it."""
    x = _inputs()
    del x["headline"]
    s = score(x, ScoringConfig(probe_sizes="5,all", probe_repeats=2))
    assert "ksparse_accuracy" not in s.scalars and "ksparse_probes" not in s.seconds
    assert {"retrieval_map@100", "ablation_score", "cluster_v_measure"} <= set(s.scalars), "the others still run"


def test_the_k_sparse_surface_follows_the_probe_sizes_asked_for():
    """``--set probe_sizes=all`` (a quick run) gets the all-labels row of the surface only: 5 fits, not 35."""
    s = score(_inputs(), ScoringConfig(probe_sizes="all"), scorers=[sc for sc in USE_SCORERS if sc.name == "ksparse_probes"])
    assert {(p["per_class"], p["k"]) for p in s.analysis["ksparse_probes"]["surface"]} == {(None, k) for k in (1, 2, 5, 10, 20)}
    full = score(_inputs(), ScoringConfig(), scorers=[sc for sc in USE_SCORERS if sc.name == "ksparse_probes"])
    assert full.scalars["ksparse_accuracy"] == s.scalars["ksparse_accuracy"], "the summary number does not move"


def test_the_scoring_loop_runs_them_with_every_scalar_declared_and_json_analysis():
    s = score(_inputs(), ScoringConfig(probe_sizes="10,100,all", probe_repeats=2))
    scalars = {k for k in s.scalars if metric_info(k) is not None and any(
        metric_info(k) in sc.metrics for sc in USE_SCORERS)}
    declared = {m.name for sc in USE_SCORERS for m in sc.metrics}
    assert scalars == declared, "every use metric is reported"
    assert NAMES <= set(s.seconds), "each scorer's seconds reach the record's timing"
    analysis = json.loads(json.dumps({k: s.analysis[k] for k in NAMES}))
    surface = analysis["ksparse_probes"]["surface"]
    assert {(p["per_class"], p["k"]) for p in surface} == {(n, k) for n in (10, 100, None) for k in (1, 2, 5, 10, 20)}
    assert analysis["retrieval"]["masked_is_raw"] is True, "exact zeros under z ≠ 0: the mask is the code's own"
    assert s.scalars["masked_flops"] == s.scalars["retrieval_flops"]


def test_a_code_without_exact_zeros_is_indexed_dense_and_masked_by_its_rule():
    x = _inputs(exact_zeros=False)
    noise = np.random.default_rng(2).normal(0, 0.05, x["test_codes"].shape).astype(np.float32)
    x["test_codes"] = x["test_codes"] + noise  # spike noise: no exact zero left
    x["train_codes"] = x["train_codes"] + noise[: len(x["train_codes"])]
    x["test_activity"], _ = read_activity(x["test_codes"], exact_zeros=False)
    x["train_activity"], _ = read_activity(x["train_codes"], exact_zeros=False)
    s = score(x, ScoringConfig(probe_sizes="all"), scorers=[sc for sc in USE_SCORERS if sc.name == "retrieval"])
    assert s.scalars["retrieval_flops"] == 24.0, "exact non-zeros: a dense index"
    assert s.scalars["masked_flops"] < 24.0 * 0.5 and s.scalars["masked_index_bytes"] < s.scalars["retrieval_index_bytes"]


def test_the_k_sparse_probe_follows_the_scoring_settings_probe_rule(monkeypatch):
    """Every k-sparse probe is fit by the headline probe's rule, as the settings state it (probe_options)."""
    seen = []
    real = ksparse.logistic_probe
    monkeypatch.setattr(ksparse, "logistic_probe", lambda *a, **kw: seen.append(kw) or real(*a, **kw))
    for cfg in (ScoringConfig(probe_sizes="all"), ScoringConfig(probe_cv=False, probe_C=0.25, probe_sizes="all")):
        seen.clear()
        score(_inputs(), cfg, scorers=[sc for sc in USE_SCORERS if sc.name == "ksparse_probes"])
        assert seen and all({k: kw[k] for k in cfg.probe_options()} == cfg.probe_options() for kw in seen)
    assert seen[0]["C"] == 0.25 and seen[0]["cv_C"] is None


def test_references_get_them_dense_and_sparse_alike():
    (x, y), (xt, yt) = _codes(3), _codes(4)
    cfg = ScoringConfig(probe_sizes="5,all", probe_repeats=2)
    dense = score_codes(x, y, xt, yt, seed=1, config=cfg, exact_zeros=True)
    sparse = score_codes(sp.csr_matrix(x), y, sp.csr_matrix(xt), yt, seed=1, config=cfg, exact_zeros=True)
    declared = {m.name for sc in USE_SCORERS for m in sc.metrics}
    assert declared <= set(dense.scalars) and declared <= set(sparse.scalars)
    assert not any(name in entry for entry in sparse.analysis.get("not_applicable", []) for name in NAMES)
    for name in sorted(declared):
        assert sparse.scalars[name] == pytest.approx(dense.scalars[name], rel=1e-6, abs=1e-9), name
