"""The probe protocol's defaults, stated once: :mod:`tasks.probes` fits by them (and re-exports them), and
:class:`tasks.scoring.ScoringConfig` declares its fields with them.

Apart from the probe because they are plain values: a cell's configuration is resolved (and bad input
refused) without loading scikit-learn or scipy, which :mod:`tasks.probes` imports.
"""
from __future__ import annotations

#: Inner-CV grid for C (inverse L2 strength), in decades.  Wide on purpose: on standardised 1536-wide TopK
#: codes and on TF-IDF the inner CV chose 1e-5 (docs/probes.md); the ends cost little (strongly regularised
#: fits converge in a few iterations, weakly regularised ones start from their neighbour's solution).
DEFAULT_C_GRID: tuple[float, ...] = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1e3, 1e4)
#: Choose C (and the scaler) by inner cross-validation (the headline rule); False: the fixed C below.
DEFAULT_CV: bool = True
#: Probe labelled-set sizes per class; ``None`` in a sweep means the whole training set.
DEFAULT_SIZES: tuple[int | None, ...] = (10, 100, 1000, None)
#: Inverse L2 strength of a probe with a fixed C (scikit-learn's default; the probe of scoring protocol ≤ 2).
DEFAULT_C: float = 1.0
#: Feature scalers by name: "standard" (mean 0, std 1; the probe of scoring protocol ≤ 2) and "maxabs" (each
#: feature divided by its largest |value|: zeros stay zero, a rarely active feature is not inflated).
SCALERS: tuple[str, ...] = ("standard", "maxabs")
#: The scaler chosen per fit by the inner CV, with C, among :data:`SCALERS` (docs/probes.md says why).
AUTO: str = "auto"
#: What "auto" means for a probe that is not cross-validated: the probe of scoring protocol ≤ 2.
FIXED_SCALER: str = "standard"
DEFAULT_SCALER: str = AUTO
#: Seeded subsamples per labelled size.
DEFAULT_REPEATS: int = 3
#: Folds of the inner cross-validation that chooses C.
DEFAULT_CV_FOLDS: int = 5
#: The path over C stops after this many consecutive Cs whose mean inner accuracy is below the best so far
#: (scoring protocol 4; docs/probes.md measures what it saves and that it chooses what the whole path chooses).
DEFAULT_PATIENCE: int = 2
#: ... but only once the path has risen this far above its first (most regularised) point (scoring protocol 7): on a
#: weak code the smallest Cs give an almost constant predictor whose inner accuracy sits on a near-flat plateau, and
#: two falls of 1e-4 on it stopped the path before the curve climbed (HSVAE on Yahoo: 0.145 for the 0.192 of the
#: whole path; results/reference/frontier-text/masked_probe.md).  A code that never rises this far is read to the end.
DEFAULT_RISE: float = 0.01
#: lbfgs stopping: scikit-learn's tolerance, a generous iteration cap (see :func:`logistic_probe`).
DEFAULT_MAX_ITER: int = 1000
DEFAULT_TOL: float = 1e-4
#: A dense code with at most this fraction of non-zero entries is cross-validated as a sparse matrix: lbfgs'
#: products then cost its non-zeros instead of N × D (20× faster on 1536-wide codes with 32 active), the same problem.
SPARSE_DENSITY: float = 0.25
