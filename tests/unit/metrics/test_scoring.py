"""The metric table drives scoring: every declared metric for every mode, flat scalars, JSON analysis."""
from __future__ import annotations

import json

import numpy as np
import pytest

from sparsebench.params import ConfigError
from tasks.activity import read_activity
from tasks.metrics import Metric, Scored, Scorer, all_metrics, direction, metric_info
from tasks.scoring import ScoringConfig, score


def codes(rng, n, d=8, classes=3):
    y = np.arange(n) % classes
    return (rng.standard_normal((n, d)) + np.eye(classes, d)[y] * 2).astype(np.float32), y


def inputs(x, y, xt, yt, **extra):
    activity, rule = read_activity(xt, exact_zeros=False)
    return {"seed": 0, "train_codes": x, "train_labels": y, "test_codes": xt, "test_labels": yt,
            "test_activity": activity, "activity_rule": rule, **extra}


def test_score_gives_every_metric_as_a_flat_scalar():
    rng = np.random.default_rng(0)
    (x, y), (xt, yt) = codes(rng, 300), codes(rng, 90)
    s = score(inputs(x, y, xt, yt), ScoringConfig(probe_sizes="5,20,all", probe_repeats=2))
    expected = {"avg_hoyer", "avg_hoyer_raw", "hoyer_dropped_dims", "hoyer_zero_codes", "active_fraction", "l0",
                "zero_fraction", "probe_accuracy", "probe_macro_f1", "probe_train_size", "probe_accuracy@5",
                "probe_accuracy_std@5", "probe_macro_f1@20", "probe_macro_f1_std@20", "class_kl_mean",
                "class_js_mean", "active_dims", "dead_fraction"}
    assert expected <= set(s.scalars)
    assert all(isinstance(v, (int, float)) and np.isfinite(v) for v in s.scalars.values())
    assert "hoyer_ratio" not in s.scalars  # no K-draw mean codes given
    assert s.scalars["probe_accuracy"] > 0.6 and s.scalars["l0"] == 8.0
    analysis = json.loads(json.dumps(s.analysis))  # plain JSON, no numpy
    assert [r["per_class"] for r in analysis["probes"]["sweep"]] == [5, 20, None]
    assert np.array(analysis["class_activation"]["profile"]).shape == (3, 8)
    assert np.array(analysis["class_activation"]["kl"]).shape == (3, 3)
    assert analysis["class_activation"]["class_sizes"] == [30, 30, 30]
    assert analysis["activity"]["rule"] == "|z| > 0.15 on the raw code"
    assert all(metric_info(k) is not None for k in s.scalars), "every scalar is declared in the table"


def test_mean_codes_add_the_hoyer_ratio():
    rng = np.random.default_rng(1)
    (x, y), (xt, yt) = codes(rng, 120), codes(rng, 60)
    s = score(inputs(x, y, xt, yt, mean_codes=xt * (rng.random(xt.shape) < 0.3)), ScoringConfig(probe_sizes="all"))
    assert {"hoyer_ratio", "hoyer_ratio_numerator", "hoyer_ratio_denominator", "hoyer_ratio_kept_dims"} <= set(s.scalars)
    assert s.analysis["hoyer_ratio"]["draws"] == 5


def test_scoring_config_parses_sizes_and_rejects_bad_ones():
    assert ScoringConfig().sizes() == (10, 100, 1000, None)
    assert ScoringConfig.from_dict({"probe_sizes": " 10, all "}).sizes() == (10, None)
    assert ScoringConfig.from_dict({"probe_sizes": "10,100"}).sizes() == (10, 100, None)
    for bad in ("10,x", "0", " , "):
        with pytest.raises(ConfigError, match="probe"):
            ScoringConfig.from_dict({"probe_sizes": bad})
    with pytest.raises(ConfigError, match="probe_repeats"):
        ScoringConfig.from_dict({"probe_repeat": 3})
    with pytest.raises(ConfigError, match="hoyer_samples"):
        ScoringConfig.from_dict({"hoyer_samples": 0})
    with pytest.raises(ConfigError, match="probe_C"):
        ScoringConfig.from_dict({"probe_C": float("nan")})


def test_directions_come_from_the_table_not_from_names():
    assert direction("probe_accuracy") == 1 and direction("probe_accuracy@100") == 1
    assert direction("probe_unconverged") == -1 and direction("class_silent") == -1
    assert direction("nll_per_token") == -1 and direction("avg_hoyer") == 1
    assert direction("probe_accuracy_std@10") == 0 and direction("loss.kl") == 0 and direction("no_such") == 0
    names = [m.name for m in all_metrics()]
    assert len(names) == len(set(names))


def test_a_failing_plugin_scorer_is_recorded_and_the_rest_go_on():
    def broken(x, cfg):
        raise RuntimeError("boom")

    def undeclared(x, cfg):
        return Scored({"not_declared": 1.0})

    plugin = Scorer("broken", ("test_codes",), broken, (Metric("b", True, "b", "broken"),), origin="plugin x 1")
    sneaky = Scorer("sneaky", ("test_codes",), undeclared, (Metric("s", True, "s", "sneaky"),), origin="plugin y 1")
    rng = np.random.default_rng(0)
    (x, y), (xt, yt) = codes(rng, 60), codes(rng, 30)
    from tasks.metrics import builtin_scorers

    s = score(inputs(x, y, xt, yt), ScoringConfig(probe_sizes="all"), scorers=[*builtin_scorers(), plugin, sneaky])
    assert "avg_hoyer" in s.scalars and "not_declared" not in s.scalars
    assert any("boom" in e for e in s.analysis["errors"]) and any("declares" in e for e in s.analysis["errors"])


def _hsvae_like(rng, n_per_class=400, classes=4, d=32, on=0.19):
    """Codes with a strongly class-dependent on/off pattern, HSVAE-style: off = N(0, 0.05²) spike noise."""
    probs = np.full((classes, d), 0.02)
    for c in range(classes):
        probs[c, c * 8:(c + 1) * 8] = (on * d - 0.02 * (d - 8)) / 8
    y = np.repeat(np.arange(classes), n_per_class)
    active = rng.random((len(y), d)) < probs[y]
    z = np.where(active, rng.normal(0.0, 1.0, active.shape), rng.normal(0.0, 0.05, active.shape))
    return z, y, active.astype(float)


def test_class_kl_sees_hsvae_sparsity_through_the_activity_rules():
    """Fidelity fix: the old reading (|z̃| > 1e-2 on std-normalised codes) counted spike noise as active and
    lost the class structure (active fraction ≈ 0.9, class KL ≈ 0); the latent reading is exact and the raw
    threshold (3 × the spike std) comes close to the true indicators' KL."""
    from tasks.class_activation import class_activation
    from tasks.sparsity import std_normalise

    rng = np.random.default_rng(0)
    z, y, truth = _hsvae_like(rng)
    true = class_activation(truth, y)
    assert truth.mean() == pytest.approx(0.19, abs=0.02) and true.kl_mean > 1.5
    old_activity = (np.abs(std_normalise(z)[0]) > 1e-2).astype(float)  # the reading before the fix
    assert old_activity.mean() > 0.8 and class_activation(old_activity, y).kl_mean < 0.05

    base = {"seed": 0, "test_codes": z, "test_labels": y}
    latent = score({**base, "test_activity": truth, "activity_rule": "latent"}, ScoringConfig())
    assert latent.scalars["class_kl_mean"] == pytest.approx(true.kl_mean)
    assert latent.scalars["active_fraction"] == pytest.approx(truth.mean())
    raw, rule = read_activity(z, exact_zeros=False)
    thresholded = score({**base, "test_activity": raw, "activity_rule": rule}, ScoringConfig())
    assert thresholded.scalars["class_kl_mean"] > 0.7 * true.kl_mean
    assert thresholded.scalars["active_fraction"] == pytest.approx(0.19, abs=0.03)


def test_a_probe_size_above_every_class_is_no_column_and_is_named_in_the_analysis():
    """100 sentences a class and probe_sizes=10,100,5000,all: no probe_accuracy@5000 pretending to be 5000
    labels a class (it would equal the all-labels probe); @100 is the whole set, truly 100 a class."""
    rng = np.random.default_rng(1)
    (x, y), (xt, yt) = codes(rng, 300), codes(rng, 90)  # 3 classes of 100
    cfg = ScoringConfig(probe_sizes="10,100,5000,all", probe_repeats=2)
    s = score(inputs(x, y, xt, yt), cfg, scorers=[sc for sc in all_scorers_named("probes")])
    assert "probe_accuracy@5000" not in s.scalars and "probe_macro_f1@5000" not in s.scalars
    assert s.scalars["probe_accuracy@100"] == s.scalars["probe_accuracy"]
    assert [r["per_class"] for r in s.analysis["probes"]["sweep"]] == [10, 100, None]
    assert s.analysis["probes"]["sizes_above_largest_class"] == {"sizes": [5000], "largest_class": 100}
    within = score(inputs(x, y, xt, yt), ScoringConfig(probe_sizes="10,all"), scorers=all_scorers_named("probes"))
    assert "sizes_above_largest_class" not in within.analysis["probes"]  # records within the classes: unchanged


def all_scorers_named(name):
    from tasks.metrics import all_scorers

    return [sc for sc in all_scorers() if sc.name == name]


def _probe_scorer():
    from tasks.metrics import builtin_scorers

    return [s for s in builtin_scorers() if s.name == "probes"]


def test_the_masked_probe_scores_the_dims_the_activity_reading_counts():
    """Scoring protocol 7.  The class signal sits in entries below the activity threshold (|z| ≤ 0.15, read as
    inactive), as in a VAE-family code at a few active dims: the whole-code probe finds it, the masked probe
    (inactive entries zeroed, training and test alike) does not, and one active dim with signal is found again."""
    rng = np.random.default_rng(3)

    def code(n):
        y = np.arange(n) % 3
        z = 0.01 * rng.standard_normal((n, 6)) + 0.05 * np.eye(3, 6)[y]  # below 0.15 everywhere: "inactive"
        return z.astype(np.float32), y

    (x, y), (xt, yt) = code(600), code(300)
    cfg = ScoringConfig(probe_sizes="all")
    train_activity, _ = read_activity(x, exact_zeros=False)
    base = inputs(x, y, xt, yt, train_activity=train_activity, headline=True)
    s = score(base, cfg, scorers=_probe_scorer())
    assert s.scalars["probe_accuracy"] > 0.9
    assert s.scalars["masked_probe_accuracy"] == pytest.approx(1 / 3, abs=0.01)  # every entry zeroed: chance
    assert s.analysis["probes"]["masked"]["masked_is_raw"] is False
    assert "masked_probe_accuracy" not in score({**base, "headline": None}, cfg, scorers=_probe_scorer()).scalars
    # one dim made active (|z| > 0.15 everywhere) that carries the class: the masked probe reads it
    x[:, 5], xt[:, 5] = 0.5 * (y + 1), 0.5 * (yt + 1)
    train_activity, _ = read_activity(x, exact_zeros=False)
    s = score(inputs(x, y, xt, yt, train_activity=train_activity, headline=True), cfg, scorers=_probe_scorer())
    assert s.scalars["masked_probe_accuracy"] > 0.9


def test_codes_whose_inactive_entries_are_exact_zeros_reuse_the_whole_code_probe():
    rng = np.random.default_rng(4)
    (x, y), (xt, yt) = codes(rng, 300), codes(rng, 90)
    x, xt = np.where(np.abs(x) > 1.0, x, 0), np.where(np.abs(xt) > 1.0, xt, 0)
    act, rule = read_activity(xt, exact_zeros=True)
    train_act, _ = read_activity(x, exact_zeros=True)
    s = score({**inputs(x, y, xt, yt, train_activity=train_act, headline=True), "test_activity": act,
               "activity_rule": rule}, ScoringConfig(probe_sizes="all"), scorers=_probe_scorer())
    assert s.scalars["masked_probe_accuracy"] == s.scalars["probe_accuracy"]
    assert s.scalars["masked_probe_C"] == s.scalars["probe_C"]
    assert s.analysis["probes"]["masked"] == {"masked_is_raw": True, "rule": "z ≠ 0 (exact zeros)"}
