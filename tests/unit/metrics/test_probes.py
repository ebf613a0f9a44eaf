"""Probes: separable codes → accuracy 1, random codes → chance, seeded sweeps are reproducible."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from tasks.probes import logistic_probe, probe_sweep, sizes_above, stratified_subsample, sweep_scalars, sweep_table


def blobs(rng: np.random.Generator, n_per_class: int, classes: int, dim: int, shift: float):
    y = np.repeat(np.arange(classes), n_per_class)
    centres = np.zeros((classes, dim))
    centres[np.arange(classes), np.arange(classes)] = shift
    x = centres[y] + rng.standard_normal((len(y), dim))
    return x.astype(np.float32), y


def test_linearly_separable_codes_give_accuracy_one():
    rng = np.random.default_rng(0)
    x, y = blobs(rng, 200, 4, 16, shift=20.0)
    xt, yt = blobs(rng, 100, 4, 16, shift=20.0)
    score = logistic_probe(x, y, xt, yt)
    assert score.accuracy == pytest.approx(1.0)
    assert score.macro_f1 == pytest.approx(1.0)
    assert score.converged


def test_random_codes_give_chance():
    rng = np.random.default_rng(1)
    y, yt = rng.integers(0, 4, 2000), rng.integers(0, 4, 4000)
    score = logistic_probe(rng.standard_normal((2000, 16)), y, rng.standard_normal((4000, 16)), yt)
    assert score.accuracy == pytest.approx(0.25, abs=0.03)


def test_stratified_subsample_takes_n_per_class_and_caps_small_classes():
    y = np.array([0] * 50 + [1] * 30 + [2] * 5)
    idx = stratified_subsample(y, 10, np.random.default_rng(0))
    assert np.bincount(y[idx]).tolist() == [10, 10, 5]
    assert len(np.unique(idx)) == len(idx) and np.all(np.diff(idx) > 0)


def test_sweep_is_deterministic_for_a_fixed_random_state_and_varies_across_seeds():
    rng = np.random.default_rng(2)
    x, y = blobs(rng, 150, 3, 8, shift=1.0)
    xt, yt = blobs(rng, 100, 3, 8, shift=1.0)
    a = probe_sweep(x, y, xt, yt, sizes=(5, 20, None), repeats=3, random_state=7)
    b = probe_sweep(x, y, xt, yt, sizes=(5, 20, None), repeats=3, random_state=7)
    c = probe_sweep(x, y, xt, yt, sizes=(5, 20, None), repeats=3, random_state=8)
    assert sweep_table(a) == sweep_table(b)
    assert a[0].accuracies != c[0].accuracies
    # a size's subsamples do not depend on which other sizes are in the sweep
    assert probe_sweep(x, y, xt, yt, sizes=(20,), repeats=3, random_state=7)[0].accuracies == a[1].accuracies


def test_sweep_rows_scalars_and_whole_set():
    rng = np.random.default_rng(3)
    x, y = blobs(rng, 60, 3, 8, shift=3.0)
    xt, yt = blobs(rng, 50, 3, 8, shift=3.0)
    rows = probe_sweep(x, y, xt, yt, sizes=(10, 60, 1000, None), repeats=4, random_state=0)
    # 1000 per class exceeds every class (60): no row claims it, its point is "all" (issue 24)
    assert [r.per_class for r in rows] == [10, 60, None]
    assert sizes_above((10, 60, 1000, None), y) == [1000]
    assert rows[0].n_train == 30 and rows[0].repeats == 4 and len(rows[0].accuracies) == 4
    assert rows[0].accuracy_std == pytest.approx(np.std(rows[0].accuracies, ddof=1))
    # 60 per class is every class whole: the whole set, fit once, identical to "all"
    assert rows[1].repeats == 1 and rows[1].n_train == 180 and rows[1].accuracies == rows[2].accuracies
    flat = sweep_scalars(rows)
    assert flat["probe_accuracy"] == rows[2].accuracy_mean and flat["probe_train_size"] == 180
    assert flat["probe_accuracy@10"] == rows[0].accuracy_mean
    assert flat["probe_accuracy_std@10"] == rows[0].accuracy_std
    assert {"probe_macro_f1", "probe_macro_f1@10", "probe_macro_f1_std@10", "probe_unconverged"} <= set(flat)
    assert rows[2].accuracy_mean > rows[0].accuracy_mean - 0.05  # more labels do not hurt much


def test_inner_cv_chooses_C_from_the_grid_and_is_deterministic():
    rng = np.random.default_rng(4)
    x, y = blobs(rng, 40, 3, 8, shift=1.5)
    xt, yt = blobs(rng, 40, 3, 8, shift=1.5)
    grid = (0.01, 1.0, 100.0)
    a = logistic_probe(x, y, xt, yt, cv_C=grid, random_state=3)
    b = logistic_probe(x, y, xt, yt, cv_C=grid, random_state=3)
    assert a.C in grid and a == b
    # a class with a single example cannot be stratified: fixed C instead of a crash
    one = logistic_probe(x[:81], y[:81], xt, yt, cv_C=grid, C=0.5)
    assert one.C == 0.5


def test_no_deprecation_warnings_from_sklearn():
    rng = np.random.default_rng(5)
    x, y = blobs(rng, 30, 3, 4, shift=2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        warnings.simplefilter("error", DeprecationWarning)
        logistic_probe(x, y, x, y, cv_C=(0.1, 1.0))


def test_bad_inputs_are_rejected():
    x = np.zeros((4, 2))
    with pytest.raises(ValueError, match="2 classes"):
        logistic_probe(x, np.zeros(4), x, np.zeros(4))
    with pytest.raises(ValueError, match="≥ 1"):
        probe_sweep(x, np.array([0, 0, 1, 1]), x, np.array([0, 0, 1, 1]), sizes=(0,))
