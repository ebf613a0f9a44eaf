"""Class-latent ablation (SAEBench's TPP without a language model): can a class be switched off in a few latents?

For each class c: choose the n latents most tied to c on the training codes, set them to zero in the
test codes, and measure how much the one-vs-rest probe of c loses against how much the probes of the
other classes lose.  A code that keeps each class in latents of its own loses c's probe and nothing
else (score near the own drop); a code that spreads every class over every latent loses all probes
alike (score near 0).

* **latents of c**: the n with the largest correlation ratio of the binary split c / not c
  (:func:`tasks.code_stats.correlation_ratio`, which with two classes orders latents by the
  standardised mean difference |μ_c − μ_¬c| / σ: scale-invariant, constant latents never chosen);
* **probes**: one binary logistic regression per class, fit once on all training codes and then
  applied, unchanged, to the ablated test codes (TPP: the probe is the reader, the ablation the
  intervention; a probe refit on ablated codes would measure what else in the code carries the class,
  another question).  The probe reads each latent divided by its largest |value| on the training codes
  (scikit-learn's MaxAbsScaler: no centring), so a latent set to zero adds exactly nothing to any
  probe's logit, whatever the code's offsets, with L2 strength ``C`` (the scoring settings' fixed
  ``probe_C``: choosing C by inner CV for each of 10-14 binary probes would cost more than the other
  scorers of a mode together) and class-balanced
  weights, and is scored by **balanced accuracy** (the mean of the true-positive and true-negative
  rates: with 10 to 14 classes a one-vs-rest accuracy is 90 % for a probe that always says "no");
* **zero** is the ablated value: "off" for a sparse code, the prior mean of a VAE's code;
* **n** = ⌈W / C⌉, W the latents not constant on the training codes and C the classes: each class
  gets an equal share of the code's usable width (3-4 latents of a 32-d code, about a hundred of a
  1536-wide dictionary with 14 classes), so a code that divided its width between the classes could
  switch any class off completely, whatever its width; a fixed n would ablate a third of a 32-d code
  and almost nothing of a 1536-wide one.  The drops at fixed n ∈ :data:`CURVE_N` (up to W) are kept
  beside it.

Score = mean over c of the own drop − mean over c of the mean drop of the other classes' probes.
"""
from __future__ import annotations

import contextlib
import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from tasks.code_stats import as_codes, constant_columns, correlation_ratio, ranked_features

#: Fixed numbers of ablated latents whose drops are kept beside the share's (those up to W).
CURVE_N: tuple[int, ...] = (1, 2, 5, 10, 20, 50, 100, 200)
#: lbfgs iteration cap of the one-vs-rest probes (as ``tasks.probes.DEFAULT_MAX_ITER``).
MAX_ITER = 1000


@dataclass(frozen=True)
class AblationResult:
    n: int  # latents ablated per class
    own_drop: float  # mean over c of the drop of c's probe when c's latents are zeroed
    other_drop: float  # mean over c of the mean drop of the other probes
    score: float  # own_drop − other_drop
    classes: list[int]
    base: list[float]  # balanced accuracy of each class's probe on the intact test codes
    ablated: list[list[float]]  # [c][j]: balanced accuracy of probe j with c's latents zeroed
    latents: list[list[int]]  # per class, its ablated latents in rank order
    curve: list[dict[str, float]] = field(default_factory=list)  # the same three numbers at fixed n


def share(usable: int, classes: int) -> int:
    """⌈W / C⌉ latents per class (at least 1)."""
    return max(1, math.ceil(usable / max(classes, 1)))


def drops(base: np.ndarray, ablated: np.ndarray) -> tuple[float, float, float]:
    """(own drop, other drop, score) of a [C] base accuracy and a [C, C] ablated one (row: class ablated)."""
    base, ablated = np.asarray(base, dtype=np.float64), np.asarray(ablated, dtype=np.float64)
    c = len(base)
    if ablated.shape != (c, c) or c < 2:
        raise ValueError(f"need [C] base and [C, C] ablated accuracies with C ≥ 2, got {base.shape}, {ablated.shape}")
    loss = base[None, :] - ablated  # loss[c, j]: probe j's drop when c's latents are zeroed
    own = float(np.diag(loss).mean())
    other = float(((loss.sum(1) - np.diag(loss)) / (c - 1)).mean())
    return own, other, own - other


def _balanced_accuracy(logits: np.ndarray, positive: np.ndarray) -> np.ndarray:
    """Per probe (column), the mean of its true-positive and true-negative rates."""
    said = logits > 0
    tpr = (said & positive).sum(0) / np.maximum(positive.sum(0), 1)
    tnr = (~said & ~positive).sum(0) / np.maximum((~positive).sum(0), 1)
    return (tpr + tnr) / 2


def _linear_probes(x: Any, y: np.ndarray, classes: np.ndarray, C: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Weights ``[D, C]`` (on the raw codes, the max-abs scaling folded in) and intercepts of the
    one-vs-rest probes."""
    scale = np.asarray(abs(x).max(axis=0).todense()).ravel() if sp.issparse(x) else np.abs(x).max(axis=0)
    inv = np.where(scale > 0, 1.0 / np.where(scale > 0, scale, 1.0), 0.0)
    xs = sp.csr_matrix(x @ sp.diags(inv)) if sp.issparse(x) else x * inv
    weights, bias = np.zeros((x.shape[1], len(classes))), np.zeros(len(classes))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for j, c in enumerate(classes):
            clf = LogisticRegression(C=C, solver="lbfgs", max_iter=MAX_ITER, class_weight="balanced",
                                     random_state=seed).fit(xs, y == c)
            weights[:, j] = clf.coef_[0] * inv
            bias[j] = clf.intercept_[0]
    return weights, bias


def class_ablation(train_codes: Any, train_labels: np.ndarray, test_codes: Any, test_labels: np.ndarray, *,
                   n: int | None = None, C: float = 1.0, curve_n: Sequence[int] = CURVE_N, random_state: int = 0,
                   threads: int | None = 1) -> AblationResult:
    """The ablation score of a code (module docstring); ``n`` None: the equal share ⌈W / C⌉."""
    train, test = as_codes(train_codes), as_codes(test_codes)
    train_y, test_y = np.asarray(train_labels), np.asarray(test_labels)
    if train.shape[1] != test.shape[1]:
        raise ValueError(f"train and test codes differ in width: {train.shape[1]} and {test.shape[1]}")
    classes = np.unique(train_y)
    if len(classes) < 2:
        raise ValueError("class ablation needs at least 2 classes in the training labels")
    usable = int((~constant_columns(train)).sum())
    n = share(usable, len(classes)) if n is None else int(n)
    if n < 1:
        raise ValueError(f"n must be ≥ 1, got {n}")
    with threadpool_limits(limits=threads) if threads is not None else contextlib.nullcontext():
        weights, bias = _linear_probes(train, train_y, classes, C, random_state)
    ranked = [ranked_features(correlation_ratio(train, train_y == c)) for c in classes]
    logits = np.asarray(test @ weights) + bias  # [N, C]
    positive = test_y[:, None] == classes[None, :]
    base = _balanced_accuracy(logits, positive)

    def ablate(k: int) -> tuple[np.ndarray, list[list[int]]]:
        rows, chosen = [], []
        for c in range(len(classes)):
            latents = ranked[c][:k]
            # zeroing latents S removes their terms from every probe's logit: logits − X[:, S] W[S]
            part = test[:, latents] @ weights[latents]
            rows.append(_balanced_accuracy(logits - np.asarray(part), positive))
            chosen.append([int(d) for d in latents])
        return np.asarray(rows), chosen

    ablated, latents = ablate(n)
    own, other, score = drops(base, ablated)
    curve = []
    for k in sorted({int(k) for k in curve_n if 1 <= int(k) <= usable}):
        o, t, s = drops(base, ablate(k)[0])
        curve.append({"n": k, "own_drop": o, "other_drop": t, "score": s})
    return AblationResult(n, own, other, score, classes.tolist(), base.tolist(), ablated.tolist(), latents, curve)

