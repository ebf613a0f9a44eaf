"""Classification probes on codes: how much label information a frozen code carries.

A multinomial logistic regression (lbfgs) on standardised codes, a scikit-learn pipeline fit on
train codes and scored on test codes by accuracy and macro-F1.  The probe protocol of Prokhorov et
al. (2021) is not published (their repository, VictorProkhorov/HSVAE, has no classification
script); everything here is the harness's protocol:

* a sweep over labelled training sizes (``n`` per class, stratified, without replacement, and
  "all"), each size repeated on independent seeded subsamples, reported as mean and std;
* the subsample of (size n, repeat r) is drawn from ``SeedSequence([random_state, n, r])``, so it
  does not depend on which other sizes are in the sweep;
* ``C`` fixed (default :data:`DEFAULT_C`) or, SentEval style, chosen per fit by stratified inner
  k-fold CV over a grid.

The protocol's defaults are stated once, below; ``tasks.scoring.ScoringConfig`` (what ``--set``
changes and the record stores) and the metric table's definitions read them from here.

No argument deprecated in scikit-learn 1.8 is used (no ``penalty``, ``n_jobs`` or ``multi_class``
on ``LogisticRegression``).
"""
from __future__ import annotations

import contextlib
import warnings
from dataclasses import asdict, dataclass
from typing import Any, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

#: Inner-CV grid for C (inverse L2 strength), in decades: on standardised 768-d codes the best C is
#: often far below 1 (1e-3 on the benchmark's codes), so the grid reaches well below SentEval-style grids.
DEFAULT_C_GRID: tuple[float, ...] = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0)
#: Probe labelled-set sizes per class; ``None`` in a sweep means the whole training set.
DEFAULT_SIZES: tuple[int | None, ...] = (10, 100, 1000, None)
#: Inverse L2 strength of a probe with a fixed C (scikit-learn's default).
DEFAULT_C: float = 1.0
#: Seeded subsamples per labelled size.
DEFAULT_REPEATS: int = 3
#: Folds of the inner cross-validation that chooses C.
DEFAULT_CV_FOLDS: int = 5
#: lbfgs stopping: scikit-learn's tolerance, a generous iteration cap (see :func:`logistic_probe`).
DEFAULT_MAX_ITER: int = 1000
DEFAULT_TOL: float = 1e-4


@dataclass(frozen=True)
class ProbeScore:
    accuracy: float
    macro_f1: float
    n_train: int
    C: float
    converged: bool


def _features(x: Any) -> Any:
    """float64 features; a scipy.sparse matrix stays sparse (CSR), so a 20K-word TF-IDF reference never densifies."""
    return sp.csr_matrix(x, dtype=np.float64) if sp.issparse(x) else np.asarray(x, dtype=np.float64)


def _pipeline(C: float, max_iter: int, tol: float, random_state: int, sparse: bool = False) -> Pipeline:
    # random_state is unused by lbfgs (deterministic); passed so that a solver change stays seeded.
    # Sparse features are scaled by the same (centred) std but not centred, which would densify them: lbfgs
    # leaves the intercept unpenalised, so centring only moves into it and the optimum is the same model.
    return Pipeline([("scale", StandardScaler(with_mean=not sparse)),
                     ("logreg", LogisticRegression(C=C, solver="lbfgs", max_iter=max_iter, tol=tol,
                                                   random_state=random_state))])


def logistic_probe(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray,
                   *, C: float = DEFAULT_C, cv_C: Sequence[float] | None = None, cv_folds: int = DEFAULT_CV_FOLDS,
                   max_iter: int = DEFAULT_MAX_ITER, tol: float = DEFAULT_TOL, random_state: int = 0) -> ProbeScore:
    """Fit one probe on (train_x, train_y), score it on (test_x, test_y).

    sklearn's tolerance (1e-4) with a generous ``max_iter``: on standardised codes lbfgs converges in
    about ten iterations (measured on 14 classes x 10k x 768), so speed comes from fitting few,
    well-conditioned problems, not from stopping early (which acts as a hidden extra regulariser
    and changed accuracy by ~0.7 points in that measurement).  A probe that stops at ``max_iter``
    is counted (``converged=False``) rather than warned about.  With ``cv_C`` the C of the best mean inner-CV
    accuracy is refit on the whole subsample (folds capped by the smallest class).
    """
    train_x, test_x = _features(train_x), _features(test_x)
    sparse = sp.issparse(train_x)
    train_y, test_y = np.asarray(train_y), np.asarray(test_y)
    if len(np.unique(train_y)) < 2:
        raise ValueError("a probe needs at least 2 classes in its training labels")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if cv_C:
            folds = int(min(cv_folds, np.bincount(np.unique(train_y, return_inverse=True)[1]).min()))
            if folds >= 2:
                search = GridSearchCV(_pipeline(C, max_iter, tol, random_state, sparse), {"logreg__C": list(cv_C)},
                                      cv=StratifiedKFold(folds, shuffle=True, random_state=random_state),
                                      scoring="accuracy", refit=True)
                clf = search.fit(train_x, train_y).best_estimator_
            else:  # one example of some class: no stratified split exists; fall back to the fixed C
                clf = _pipeline(C, max_iter, tol, random_state, sparse).fit(train_x, train_y)
        else:
            clf = _pipeline(C, max_iter, tol, random_state, sparse).fit(train_x, train_y)
    logreg = clf.named_steps["logreg"]
    pred = clf.predict(test_x)
    return ProbeScore(float(accuracy_score(test_y, pred)),
                      float(f1_score(test_y, pred, average="macro", zero_division=0)),
                      len(train_y), float(logreg.C), bool(np.all(logreg.n_iter_ < max_iter)))


def stratified_subsample(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted indices of ``min(per_class, n_c)`` examples of every class c, drawn without replacement."""
    labels = np.asarray(labels)
    picks = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        picks.append(idx if per_class >= len(idx) else rng.choice(idx, per_class, replace=False))
    return np.sort(np.concatenate(picks))


@dataclass(frozen=True)
class SweepRow:
    per_class: int | None  # None: the whole training set
    n_train: int  # mean training-set size over repeats
    repeats: int  # fits actually run (1 when the subsample is the whole set: lbfgs is deterministic)
    accuracy_mean: float
    accuracy_std: float  # sample std (ddof=1) over repeats; 0 with one repeat
    macro_f1_mean: float
    macro_f1_std: float
    accuracies: list[float]
    macro_f1s: list[float]
    C: list[float]
    unconverged: int


def _std(values: list[float]) -> float:
    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def probe_sweep(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray, *,
                sizes: Sequence[int | None] = DEFAULT_SIZES, repeats: int = DEFAULT_REPEATS, random_state: int = 0,
                C: float = DEFAULT_C, cv_C: Sequence[float] | None = None, cv_folds: int = DEFAULT_CV_FOLDS,
                max_iter: int = DEFAULT_MAX_ITER, tol: float = DEFAULT_TOL, threads: int | None = 1) -> list[SweepRow]:
    """Probe scores over labelled training sizes (per class), ``repeats`` seeded subsamples each.

    A size at least as large as every class is the whole training set: it is fit once and reported
    as such (``repeats=1``), since repeating a deterministic fit on the same data adds nothing.

    ``threads`` caps BLAS/OpenMP threads during the sweep (``None``: leave them alone).  The fits
    are small; on a shared 2-core machine two BLAS threads made the 14 × 10k × 768 sweep 16× slower
    (21 s against 1.3 s single-threaded, measured), and one thread per cell lets cells run side by side.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be ≥ 1, got {repeats}")
    with threadpool_limits(limits=threads) if threads is not None else contextlib.nullcontext():
        return _sweep(train_x, train_y, test_x, test_y, sizes, repeats, random_state,
                      dict(C=C, cv_C=cv_C, cv_folds=cv_folds, max_iter=max_iter, tol=tol))


def _sweep(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray,
           sizes: Sequence[int | None], repeats: int, random_state: int, kw: dict[str, Any]) -> list[SweepRow]:
    train_x, test_x = _features(train_x), _features(test_x)  # float32 → float64 once, not once per fit
    train_y = np.asarray(train_y)
    largest = int(np.bincount(np.unique(train_y, return_inverse=True)[1]).max())
    cache: dict[tuple[int, int], ProbeScore] = {}  # (per_class or -1, repeat) → score
    rows = []
    for size in sizes:
        if size is not None and size < 1:
            raise ValueError(f"probe sizes must be ≥ 1 per class (or None for all), got {size}")
        whole = size is None or size >= largest
        scores = []
        for r in range(1 if whole else repeats):
            key = (-1, 0) if whole else (int(size), r)
            if key not in cache:
                if whole:
                    index = np.arange(len(train_y))
                else:
                    rng = np.random.default_rng(np.random.SeedSequence([int(random_state), int(size), r]))
                    index = stratified_subsample(train_y, int(size), rng)
                cache[key] = logistic_probe(train_x[index], train_y[index], test_x, test_y,
                                            random_state=random_state, **kw)
            scores.append(cache[key])
        acc, f1 = [s.accuracy for s in scores], [s.macro_f1 for s in scores]
        rows.append(SweepRow(size, int(round(np.mean([s.n_train for s in scores]))), len(scores),
                             float(np.mean(acc)), _std(acc), float(np.mean(f1)), _std(f1), acc, f1,
                             [s.C for s in scores], sum(not s.converged for s in scores)))
    return rows


def sweep_scalars(rows: Sequence[SweepRow]) -> dict[str, float | int]:
    """Flat leaderboard names: ``probe_accuracy`` / ``probe_macro_f1`` for "all", ``…@n`` per size."""
    out: dict[str, float | int] = {}
    for row in rows:
        if row.per_class is None:
            out.update(probe_accuracy=row.accuracy_mean, probe_macro_f1=row.macro_f1_mean,
                       probe_train_size=row.n_train)
            continue
        tag = f"@{row.per_class}"
        out.update({f"probe_accuracy{tag}": row.accuracy_mean, f"probe_accuracy_std{tag}": row.accuracy_std,
                    f"probe_macro_f1{tag}": row.macro_f1_mean, f"probe_macro_f1_std{tag}": row.macro_f1_std})
    out["probe_unconverged"] = sum(r.unconverged for r in rows)
    return out


def sweep_table(rows: Sequence[SweepRow]) -> list[dict[str, Any]]:
    """The sweep as JSON-ready rows (for ``record["metrics"]["analysis"]``)."""
    return [asdict(r) for r in rows]
