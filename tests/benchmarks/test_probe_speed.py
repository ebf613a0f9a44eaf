"""The default probe sweep on a DBpedia-sized problem: 14 classes × 10,000 train codes × 768 dims.

Sizes 10, 100, 1000 per class and all, 3 seeded repeats (the harness default; 1000 is above every class of
714 codes, so it is the all-labels point); 2,800 test codes.
Codes are class-shifted Gaussians, so accuracy rises with labels like real codes do.  Time is
recorded by pytest-benchmark, not asserted (the target, "well under a minute on 2 cores", is read
off the report); the test asserts only that the sweep did what it claims.
"""
from __future__ import annotations

import numpy as np

from tasks.probes import DEFAULT_SIZES, probe_sweep

CLASSES, TRAIN, TEST, DIMS = 14, 10_000, 2_800, 768


def make_codes(rng: np.random.Generator, n: int, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.arange(n) % len(centres)
    return (centres[y] + rng.standard_normal((n, centres.shape[1]))).astype(np.float32), y


def test_probe_sweep_speed(benchmark):
    rng = np.random.default_rng(0)
    centres = 0.15 * rng.standard_normal((CLASSES, DIMS))
    x, y = make_codes(rng, TRAIN, centres)
    xt, yt = make_codes(rng, TEST, centres)
    rows = benchmark.pedantic(probe_sweep, args=(x, y, xt, yt), kwargs={"sizes": DEFAULT_SIZES, "repeats": 3,
                                                                        "random_state": 0},
                              rounds=1, iterations=1)
    benchmark.extra_info.update(classes=CLASSES, train=TRAIN, test=TEST, dims=DIMS,
                                accuracy={str(r.per_class): round(r.accuracy_mean, 4) for r in rows})
    # 1000 a class is above every class here (714): no row of its own, its point is the all-labels one
    # (it cost nothing before either: the whole-set fit was shared)
    assert [r.per_class for r in rows] == [s for s in DEFAULT_SIZES if s is None or s <= TRAIN // CLASSES]
    assert rows[0].repeats == 3 and rows[0].n_train == 10 * CLASSES
    assert rows[0].accuracy_mean < rows[1].accuracy_mean < rows[-1].accuracy_mean
    assert sum(r.unconverged for r in rows) == 0
