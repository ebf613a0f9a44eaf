"""The k-sparse probe surface: how much of the class k features of a code carry, against the labels a reader has.

SAEBench's k-sparse probing keeps the k latents whose class means differ most and fits a logistic
probe on them alone; MTEB fits probes at a fixed number of labelled examples per class.  The surface
crosses the two, so a code whose class lives in a few features (what a sparse code promises) is told
from one that spreads it over all of them, at every budget of labels:

* **selection** (multiclass): on the *labelled training subsample only* (the labels a size grants
  are all it may use, selection included), every feature is ranked by its correlation ratio η² (the
  share of its variance between the class means, :func:`tasks.code_stats.correlation_ratio`): the
  spread of the class means divided by the feature's own spread, so the ranking does not depend on a
  feature's scale or offset, and a sparse code and a dense code of another scale are ranked alike.
  A feature constant over the subsample is never chosen;
* **probe**: the headline probe (:func:`tasks.probes.logistic_probe`, called with the scoring
  settings' probe rule, ``ScoringConfig.probe_options()``: C and scaler chosen by inner CV on the
  probe's own training codes by default) fit on the k chosen features of that subsample, scored on
  the same k features of the test codes;
* **grid**: k ∈ :data:`KS` (capped at the features available: the code's width less its constant
  features) × labelled examples per class ∈ :data:`SIZES` (``None``: all), each size below the
  largest class repeated on seeded stratified subsamples drawn exactly as the probe sweep draws them
  (``SeedSequence([random_state, n, r])``), so the k-sparse probe at (n, r) and the sweep's probe at
  (n, r) see the same labelled codes;
* with no usable feature at all (every feature constant: a collapsed code) the probe has nothing to
  read and predicts the training subsample's most frequent class; its accuracy is that prediction's.

The summary number is the accuracy at k = :data:`HEADLINE_K` with all labels.
"""
from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass
from typing import Any, Mapping, Sequence

import numpy as np
from threadpoolctl import threadpool_limits

from tasks.code_stats import as_codes, correlation_ratio, dense, ranked_features
from tasks.probes import logistic_probe, stratified_subsample

KS: tuple[int, ...] = (1, 2, 5, 10, 20)
#: Labelled examples per class of the surface (``None``: the whole training split).
SIZES: tuple[int | None, ...] = (10, 100, None)
#: The k of the summary number (``ksparse_accuracy``, all labels).
HEADLINE_K = 5


@dataclass(frozen=True)
class SurfacePoint:
    per_class: int | None  # None: all training codes
    k: int  # the k asked for
    k_used: int  # features actually fit on: min(k, usable features), per repeat the smallest
    n_train: int  # training codes per fit (mean over repeats)
    repeats: int
    accuracy_mean: float
    accuracy_std: float  # sample std (ddof = 1) over repeats; 0 with one
    accuracies: list[float]
    features: list[list[int]]  # per repeat, the chosen features in rank order


def subsample(labels: np.ndarray, per_class: int | None, repeat: int, random_state: int) -> np.ndarray | None:
    """The probe sweep's labelled subsample (n per class, repeat r), or None for the whole split."""
    largest = int(np.bincount(np.unique(labels, return_inverse=True)[1]).max())
    if per_class is None or per_class >= largest:
        return None
    rng = np.random.default_rng(np.random.SeedSequence([int(random_state), int(per_class), int(repeat)]))
    return stratified_subsample(labels, int(per_class), rng)


def _majority_accuracy(train_y: np.ndarray, test_y: np.ndarray) -> float:
    values, counts = np.unique(train_y, return_counts=True)
    return float(np.mean(test_y == values[np.argmax(counts)]))


def ksparse_surface(train_codes: Any, train_labels: np.ndarray, test_codes: Any, test_labels: np.ndarray, *,
                    ks: Sequence[int] = KS, sizes: Sequence[int | None] = SIZES, repeats: int = 3,
                    random_state: int = 0, probe: Mapping[str, Any] | None = None,
                    threads: int | None = 1) -> list[SurfacePoint]:
    """Accuracy of the probe on the k most class-tied features, for every (labelled size, k).

    ``probe``: keyword arguments of :func:`tasks.probes.logistic_probe` (the scoring settings' rule).
    ``threads`` caps BLAS threads as :func:`tasks.probes.probe_sweep` does.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be ≥ 1, got {repeats}")
    if not ks or any(int(k) < 1 for k in ks):
        raise ValueError(f"k must be ≥ 1, got {list(ks)}")
    train, test = as_codes(train_codes), as_codes(test_codes)
    train_y, test_y = np.asarray(train_labels), np.asarray(test_labels)
    if train.shape[1] != test.shape[1]:
        raise ValueError(f"train and test codes differ in width: {train.shape[1]} and {test.shape[1]}")
    with threadpool_limits(limits=threads) if threads is not None else contextlib.nullcontext():
        return [point for size in sizes
                for point in _size(train, train_y, test, test_y, size, [int(k) for k in ks], repeats, random_state,
                                   dict(probe or {}))]


def _size(train: Any, train_y: np.ndarray, test: Any, test_y: np.ndarray, size: int | None, ks: list[int],
          repeats: int, random_state: int, probe: dict[str, Any]) -> list[SurfacePoint]:
    """The points of one labelled size: per repeat one subsample and one ranking, then a probe per k."""
    accs: dict[int, list[float]] = {k: [] for k in ks}
    chosen: dict[int, list[list[int]]] = {k: [] for k in ks}
    n_train = []
    whole = subsample(train_y, size, 0, random_state) is None
    for r in range(1 if whole else repeats):
        index = subsample(train_y, size, r, random_state)
        x, y = (train, train_y) if index is None else (train[index], train_y[index])
        ranked = ranked_features(correlation_ratio(x, y))
        fitted: dict[int, float] = {}  # k_used → accuracy: k = 10 and 20 on an 8-wide code are one fit
        for k in ks:
            feats = ranked[:k]
            if len(feats) not in fitted:
                fitted[len(feats)] = (_majority_accuracy(y, test_y) if len(feats) == 0 else
                                      logistic_probe(dense(x[:, feats]), y, dense(test[:, feats]), test_y,
                                                     random_state=random_state, **probe).accuracy)
            accs[k].append(fitted[len(feats)])
            chosen[k].append([int(f) for f in feats])
        n_train.append(len(y))
    return [SurfacePoint(size, k, min(len(f) for f in chosen[k]), int(round(np.mean(n_train))), len(accs[k]),
                         float(np.mean(accs[k])), float(np.std(accs[k], ddof=1)) if len(accs[k]) > 1 else 0.0,
                         accs[k], chosen[k]) for k in ks]


def headline(points: Sequence[SurfacePoint], k: int = HEADLINE_K) -> SurfacePoint:
    """The summary point: k = ``k`` with all labels."""
    for p in points:
        if p.per_class is None and p.k == k:
            return p
    raise ValueError(f"the surface has no point at k = {k} with all labels")


def surface_table(points: Sequence[SurfacePoint]) -> list[dict[str, Any]]:
    """The surface as JSON-ready rows (``record["metrics"]["analysis"][mode]["ksparse"]["surface"]``)."""
    return [asdict(p) for p in points]
