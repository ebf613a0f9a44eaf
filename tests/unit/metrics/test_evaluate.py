"""Wiring: every metric for every mode, flat scalars the leaderboard can read, JSON analysis."""
from __future__ import annotations

import json

import numpy as np
import pytest

from bench.errors import UserError
from bench.evaluate import EvalConfig, score_codes


def codes(rng, n, d=8, classes=3):
    y = np.arange(n) % classes
    return (rng.standard_normal((n, d)) + np.eye(classes, d)[y] * 2).astype(np.float32), y


def test_score_codes_gives_every_metric_as_a_flat_scalar():
    rng = np.random.default_rng(0)
    (x, y), (xt, yt) = codes(rng, 300), codes(rng, 90)
    cfg = EvalConfig(probe_sizes="5,20,all", probe_repeats=2)
    s = score_codes(x, y, xt, yt, seed=0, config=cfg)
    expected = {"avg_hoyer", "avg_hoyer_raw", "hoyer_dropped_dims", "hoyer_zero_codes", "active_fraction", "l0",
                "zero_fraction", "probe_accuracy", "probe_macro_f1", "probe_train_size", "probe_accuracy@5",
                "probe_accuracy_std@5", "probe_macro_f1@20", "probe_macro_f1_std@20", "class_kl_mean",
                "class_js_mean"}
    assert expected <= set(s.scalars)
    assert all(isinstance(v, (int, float)) and np.isfinite(v) for v in s.scalars.values())
    assert "hoyer_ratio" not in s.scalars  # no K-draw mean codes given
    assert s.scalars["probe_accuracy"] > 0.6 and s.scalars["l0"] == 8.0
    analysis = json.loads(json.dumps(s.analysis))  # plain JSON, no numpy
    assert [r["per_class"] for r in analysis["probe_sweep"]] == [5, 20, None]
    assert np.array(analysis["class_activation"]["profile"]).shape == (3, 8)
    assert np.array(analysis["class_activation"]["kl"]).shape == (3, 3)
    assert analysis["class_activation"]["class_sizes"] == [30, 30, 30]


def test_mean_codes_add_the_hoyer_ratio():
    rng = np.random.default_rng(1)
    (x, y), (xt, yt) = codes(rng, 120), codes(rng, 60)
    s = score_codes(x, y, xt, yt, seed=0, config=EvalConfig(probe_sizes="all"), mean_codes=xt * (rng.random(xt.shape) < 0.3))
    assert {"hoyer_ratio", "hoyer_ratio_numerator", "hoyer_ratio_denominator", "hoyer_ratio_kept_dims"} <= set(s.scalars)
    assert s.analysis["hoyer_ratio"]["draws"] == 5


def test_eval_config_parses_sizes_and_rejects_bad_ones():
    assert EvalConfig().sizes() == (10, 100, 1000, None)
    assert EvalConfig.from_dict({"probe_sizes": " 10, all "}).sizes() == (10, None)
    assert EvalConfig.from_dict({"probe_sizes": "10,100"}).sizes() == (10, 100, None)
    for bad in ("10,x", "0", " , "):
        with pytest.raises(UserError, match="probe"):
            EvalConfig.from_dict({"probe_sizes": bad})
    with pytest.raises(UserError, match="probe_repeats"):
        EvalConfig.from_dict({"probe_repeat": 3})
    with pytest.raises(UserError, match="hoyer_samples"):
        EvalConfig.from_dict({"hoyer_samples": 0})


@pytest.mark.slow
def test_a_cell_record_holds_every_metric_for_every_mode():
    from bench.cell import run_cell
    from bench.spec import RunSpec

    rec = run_cell(RunSpec(method="vae", corpus="synthetic", overrides=(("epochs", "1"),)))
    assert rec["status"] == "ok", rec.get("error")
    metrics = rec["metrics"]
    assert set(metrics["modes"]) == {"mean", "sample"} == set(metrics["analysis"])
    for mode, scalars in metrics["modes"].items():
        assert {"avg_hoyer", "avg_hoyer_raw", "active_fraction", "l0", "probe_accuracy", "probe_accuracy@100",
                "probe_accuracy_std@10", "class_kl_mean", "class_js_mean"} <= set(scalars), mode
        assert metrics["analysis"][mode]["mode"] == mode
    assert "hoyer_ratio_numerator" in metrics["modes"]["sample"]
    assert "hoyer_ratio_numerator" not in metrics["modes"]["mean"]
    recon = metrics["reconstruction"]
    assert {"nll_per_sentence", "nll_per_token", "perplexity"} <= set(recon) and "recon" in recon["terms"]
    json.dumps(rec, allow_nan=False)
