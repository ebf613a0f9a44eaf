"""Classification probes on codes: how much label information a frozen code carries.

A multinomial logistic regression (lbfgs) on scaled codes, fit on train codes and scored on test
codes by accuracy and macro-F1.  The probe protocol of Prokhorov et al. (2021) is not published
(their repository, VictorProkhorov/HSVAE, has no classification script); everything here is the
harness's protocol, scoring protocol 7 (``docs/probes.md`` has the reasons and the measurements):

* **one rule for every code, chosen on the training codes**: per fit, stratified inner k-fold
  cross-validation on the *training* codes only (the test split never touches the choice) picks the
  regularisation C from a grid in decades and, for a mostly-zero code, the feature scaler from
  {standard, max-abs} (a dense code is standardised); the pair of the best mean inner accuracy (ties:
  the smaller C, then standard) is refit on the whole training subsample.  Each path over C stops two
  grid points past its peak (protocol 4: the same choices as protocol 3's whole path on single-peaked
  curves, at a fraction of the cost), a peak being counted only once the curve has risen a point above
  its most regularised value (protocol 7: a weak code's opening plateau is walked through, not taken
  for the fall past a peak).  The probe of protocol ≤ 2 (standardised codes, fixed C = 1) overfit wide sparse codes
  so badly that they probed below the majority class while dense 32-d codes barely noticed, and
  neither scaler is right for every code: standardising multiplies a feature active in a fraction
  p of the codes by about √((1 − p)/p) against a dense one (×10 at 1 %), which on 1536-wide TopK
  codes at 10 labels per class costs 4 points against max-abs scaling (zeros stay zero, nothing is
  inflated), and on TF-IDF, whose rare words are the informative ones, gains 2-3 points;
* a sweep over labelled training sizes (``n`` per class, stratified, without replacement, and
  "all"), each size repeated on independent seeded subsamples, reported as mean and std; every fit
  of the sweep follows the same rule on its own subsample (folds capped by the smallest class: at 10
  per class, 5 folds holding out 2 codes of each class);
* the subsample of (size n, repeat r) is drawn from ``SeedSequence([random_state, n, r])``, so it
  does not depend on which other sizes are in the sweep.

The probe of protocol ≤ 2 is ``cv_C=None, scaler="standard"`` (``--set probe_cv=false``).

The protocol's defaults are stated once, below; ``tasks.scoring.ScoringConfig`` (what ``--set``
changes and the record stores) and the metric table's definitions read them from here.

No argument deprecated in scikit-learn 1.8 is used (no ``penalty``, ``n_jobs`` or ``multi_class``).
"""
from __future__ import annotations

import contextlib
import warnings
from dataclasses import asdict, dataclass
from typing import Any, Iterable, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import MaxAbsScaler, StandardScaler
from threadpoolctl import threadpool_limits

from tasks.probe_defaults import (AUTO, DEFAULT_C, DEFAULT_C_GRID, DEFAULT_CV, DEFAULT_CV_FOLDS, DEFAULT_MAX_ITER,  # noqa: F401
                                   DEFAULT_PATIENCE, DEFAULT_REPEATS, DEFAULT_RISE, DEFAULT_SCALER, DEFAULT_SIZES, DEFAULT_TOL,
                                   FIXED_SCALER, SCALERS, SPARSE_DENSITY)


@dataclass(frozen=True)
class ProbeScore:
    accuracy: float
    macro_f1: float
    n_train: int
    C: float  # the C of the final fit (chosen by the inner CV, or the fixed one)
    converged: bool
    scaler: str = FIXED_SCALER  # the scaler of the final fit
    folds: int = 0  # inner-CV folds that chose C; 0: C was fixed (no CV asked, or a class too small to split)
    cv_accuracy: float | None = None  # mean inner-CV accuracy at the chosen C


def _features(x: Any, compact: bool) -> Any:
    """float64 features; a sparse matrix as CSR, and with ``compact`` a dense code that is mostly exact zeros too.

    A 20K-word TF-IDF reference never densifies, and a cross-validated TopK code is fit at the cost of
    its active entries.  The scalers never centre a sparse matrix (centring would densify it); lbfgs
    leaves the intercept unpenalised, so centring only moves into it and the optimum is the same model
    (reached along another path: at the solver's tolerance a test point or so apart).  A fixed-C probe
    (``compact=False``) keeps dense codes dense and centred, as the probe of scoring protocol ≤ 2 did.
    """
    if sp.issparse(x):
        return sp.csr_matrix(x, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    if compact and x.ndim == 2 and x.size and np.count_nonzero(x) <= SPARSE_DENSITY * x.size:
        return sp.csr_matrix(x)
    return x


def _scaler(name: str, sparse: bool) -> Any:
    if name == "maxabs":
        return MaxAbsScaler()
    if name == "standard":
        return StandardScaler(with_mean=not sparse)
    raise ValueError(f"unknown probe scaler {name!r}; valid: {', '.join(SCALERS)}")


def _logreg(C: float, max_iter: int, tol: float, random_state: int) -> LogisticRegression:
    # random_state is unused by lbfgs (deterministic); passed so that a solver change stays seeded.
    return LogisticRegression(C=C, solver="lbfgs", max_iter=max_iter, tol=tol, random_state=random_state)


def cv_folds_for(labels: np.ndarray, cv_folds: int = DEFAULT_CV_FOLDS) -> int:
    """Inner folds for ``labels``: ``cv_folds`` capped by the smallest class (< 2: no stratified split exists)."""
    return int(min(cv_folds, np.bincount(np.unique(labels, return_inverse=True)[1]).min()))


def best_on_path(means: Iterable[float], patience: int | None = DEFAULT_PATIENCE,
                 rise: float = DEFAULT_RISE) -> tuple[int, float, int]:
    """(index, value, points read) of the first maximum of ``means``, read in order (smallest C first) and
    abandoned once ``patience`` consecutive values have been strictly below the best so far (``None``: read all),
    counting falls only once the best has risen at least ``rise`` above the first value.

    The rule assumes the inner accuracy, as a function of log C, rises to one peak and falls (or
    flattens) beyond it.  Where it starts matters: at the smallest Cs the predictor is almost constant and
    a weak code's curve sits on a plateau, wobbling by 1e-4 before it climbs; falls on that plateau are
    not the fall past a peak (scoring protocol 7; protocols 4-6 stopped there, ``rise=0``).  A curve
    that rises, dips for ``patience`` grid points and then climbs above its first peak still loses the
    later peak: ``[0.3, 0.5, 0.4, 0.4, 0.9]`` gives index 1 at patience 2, index 4 at patience 3 or ``None``.
    A tie goes to the earlier (smaller) C, and a tie does not count as a fall.
    """
    best, best_value, below, read, first = -1, -np.inf, 0, 0, None
    for i, value in enumerate(means):
        read += 1
        if first is None:
            first = float(value)
        if value > best_value:
            best, best_value, below = i, float(value), 0
        elif value < best_value:
            below += 1
            if patience is not None and below >= patience and best_value >= first + rise:
                break
        else:
            below = 0
    if best < 0:
        raise ValueError("no point on the path")
    return best, best_value, read


def choose_C(x: Any, y: np.ndarray, grid: Sequence[float], folds: int, *, max_iter: int, tol: float,
             random_state: int, patience: int | None = DEFAULT_PATIENCE,
             rise: float = DEFAULT_RISE) -> tuple[float, float]:
    """(C, mean inner accuracy) of the best C of ``grid`` by stratified ``folds``-fold CV on (x, y) alone.

    Each fold's regularisation path is warm-started, smallest C first (as ``LogisticRegressionCV``
    does; the objective and solver of ``LogisticRegression``), and the folds move along the grid
    together, so the mean accuracy at each C is known before the next, larger C is fit: the path stops
    by :func:`best_on_path` (``patience``, ``rise``), skipping the weakly regularised fits, which take most of
    the iterations, once they can no longer win on a single-peaked curve.
    """
    grid = sorted(float(c) for c in grid)
    splits = StratifiedKFold(folds, shuffle=True, random_state=random_state).split(np.zeros(len(y)), y)
    data = [(x[train], y[train], x[held], y[held]) for train, held in splits]
    models = [_logreg(grid[0], max_iter, tol, random_state).set_params(warm_start=True) for _ in data]
    means = (float(np.mean([np.mean(m.set_params(C=C).fit(xt, yt).predict(xh) == yh)
                            for m, (xt, yt, xh, yh) in zip(models, data)])) for C in grid)
    best, accuracy, _ = best_on_path(means, patience, rise)
    return grid[best], accuracy


def scale(name: str, train_x: Any, *others: Any) -> list[Any]:
    """``train_x`` and ``others`` scaled by the scaler ``name`` fit on ``train_x`` alone.

    "standard" centres dense features and only divides sparse ones (see :func:`_features`); "maxabs"
    divides every feature by its largest |value|, so zeros stay zero and no feature exceeds 1.
    """
    fitted = _scaler(name, sp.issparse(train_x)).fit(train_x)
    return [fitted.transform(x) for x in (train_x, *others)]


def candidate_scalers(scaler: str, x: Any) -> tuple[str, ...]:
    """The scalers the inner CV tries for features ``x`` (as :func:`_features` left them) under ``scaler``.

    "auto" tries max-abs scaling beside standardising only for a mostly-zero code (at most
    :data:`SPARSE_DENSITY` of its entries non-zero, dense or sparse alike), the one kind of code where the two
    differ in more than a roughly uniform factor: standardising multiplies a feature active in a
    fraction p of the codes by about √((1 − p)/p) against a dense one, max-abs scaling does not.  On a
    dense code both are per-feature rescalings (the centring moves into the unpenalised intercept) whose
    factors, a feature's std and its largest |value|, differ by a similar factor for every feature, so C
    absorbs the difference; the dense code keeps the standardised probe of protocol ≤ 2, and its path
    over C is fit once instead of twice (scoring protocol 4; docs/probes.md has the measurements).
    """
    if scaler != AUTO:
        return (scaler,)
    size = x.shape[0] * x.shape[1]
    nonzero = x.count_nonzero() if sp.issparse(x) else np.count_nonzero(x)
    return SCALERS if nonzero <= SPARSE_DENSITY * size else (FIXED_SCALER,)


def choose_scaler_and_C(x: Any, y: np.ndarray, scalers: Sequence[str], grid: Sequence[float], folds: int, *,
                        max_iter: int, tol: float, random_state: int) -> tuple[str, float, float]:
    """(scaler, C, mean inner accuracy) of the best pair: each scaler's best C (:func:`choose_C`, the same
    folds for all), then the scaler of the best accuracy (ties: the first of ``scalers``)."""
    best: tuple[str, float, float] | None = None
    for name in scalers:
        C, accuracy = choose_C(scale(name, x)[0], y, grid, folds, max_iter=max_iter, tol=tol,
                               random_state=random_state)
        if best is None or accuracy > best[2]:
            best = (name, C, accuracy)
    assert best is not None, "no scaler to choose from"
    return best


def logistic_probe(train_x: Any, train_y: np.ndarray, test_x: Any, test_y: np.ndarray, *, C: float = DEFAULT_C,
                   cv_C: Sequence[float] | None = DEFAULT_C_GRID, scaler: str = DEFAULT_SCALER,
                   cv_folds: int = DEFAULT_CV_FOLDS, max_iter: int = DEFAULT_MAX_ITER, tol: float = DEFAULT_TOL,
                   random_state: int = 0, threads: int | None = 1) -> ProbeScore:
    """Fit one probe on (train_x, train_y), score it on (test_x, test_y).

    With ``cv_C`` the C is chosen on the training codes by :func:`choose_C` (folds capped by the
    smallest class), and with ``scaler="auto"`` the scaler too (:func:`choose_scaler_and_C`).  Then
    one ``LogisticRegression`` at that C is fit on all the training codes, scaled by that scaler: the
    final model is the fixed-C probe at the chosen values.  The scalers' statistics (label-free) come
    from all training codes, the held-out folds' included; the test codes touch neither them nor the
    choice.  Without CV (``cv_C=None``, or a class of one code, which no stratified split can hold
    out: ``folds=0``) the probe is the fixed ``C`` on ``scaler`` ("auto": standard, the probe of
    scoring protocol ≤ 2).

    sklearn's tolerance (1e-4) with a generous ``max_iter``: stopping early acts as a hidden extra
    regulariser (it changed accuracy by ~0.7 points in a measurement on 14 classes x 10k x 768).  A
    final fit that stops at ``max_iter`` is counted (``converged=False``) rather than warned about.
    ``threads`` caps BLAS/OpenMP threads (``None``: leave them alone).
    """
    if scaler != AUTO and scaler not in SCALERS:
        raise ValueError(f"unknown probe scaler {scaler!r}; valid: {', '.join((AUTO, *SCALERS))}")
    train_x, test_x = _features(train_x, bool(cv_C)), _features(test_x, bool(cv_C))
    train_y, test_y = np.asarray(train_y), np.asarray(test_y)
    if len(np.unique(train_y)) < 2:
        raise ValueError("a probe needs at least 2 classes in its training labels")
    if sp.issparse(train_x) != sp.issparse(test_x):  # one representation for both: the scaler is fit on one
        train_x, test_x = sp.csr_matrix(train_x), sp.csr_matrix(test_x)
    folds = cv_folds_for(train_y, cv_folds) if cv_C else 0
    folds = folds if folds >= 2 else 0
    chosen, cv_accuracy = (FIXED_SCALER if scaler == AUTO else scaler), None
    with threadpool_limits(limits=threads) if threads is not None else contextlib.nullcontext(), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if folds:
            chosen, C, cv_accuracy = choose_scaler_and_C(train_x, train_y, candidate_scalers(scaler, train_x),
                                                         cv_C, folds, max_iter=max_iter, tol=tol,
                                                         random_state=random_state)
        train_x, test_x = scale(chosen, train_x, test_x)
        clf = _logreg(C, max_iter, tol, random_state).fit(train_x, train_y)
        pred = clf.predict(test_x)
    return ProbeScore(float(accuracy_score(test_y, pred)),
                      float(f1_score(test_y, pred, average="macro", zero_division=0)),
                      len(train_y), float(C), bool(np.all(clf.n_iter_ < max_iter)), chosen, folds, cv_accuracy)


#: Directions of a decoded embedding whose training variance is below this share of the largest are dropped
#: before whitening: float32 rounding (amplitude 1e-5 of the largest, ~100x float32's epsilon), not signal.
WHITEN_FLOOR: float = 1e-10


def whitened(train_x: Any, test_x: Any, floor: float = WHITEN_FLOOR) -> tuple[np.ndarray, np.ndarray, int]:
    """(train, test, directions kept): both projected on the principal directions of ``train_x`` and scaled to
    unit training variance (scikit-learn's PCA, ``whiten=True``), directions below ``floor`` × the largest
    variance dropped; a constant ``train_x`` gives one zero column (its probe predicts the majority class).

    Why: a decoded embedding x̂ is a smooth function of a 32-d code (rank ≤ the decoder's last hidden width),
    so its standardised features are so collinear that lbfgs met its iteration cap at the large Cs the inner CV
    reached, leaving the choice to the cap (TON's x̂: 0.4255 held-out accuracy at the cap against 0.4335 at the
    optimum, found by newton-cg) and costing 100-500 s per probe.  Whitened, the same problem converges in
    tens of iterations (docs/probes.md has the measurements).
    """
    from sklearn.decomposition import PCA

    train_x, test_x = np.asarray(train_x, dtype=np.float64), np.asarray(test_x, dtype=np.float64)
    if not np.ptp(train_x, axis=0).any():  # constant: nothing to whiten (and PCA would divide by zero)
        return np.zeros((len(train_x), 1)), np.zeros((len(test_x), 1)), 0
    pca = PCA(whiten=True, svd_solver="full").fit(train_x)
    keep = pca.explained_variance_ > floor * pca.explained_variance_[0]
    return pca.transform(train_x)[:, keep], pca.transform(test_x)[:, keep], int(keep.sum())


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
    C: list[float]  # per fit: the C it used (chosen by the inner CV, or fixed)
    unconverged: int
    scalers: list[str] | None = None  # per fit: the scaler it used
    folds: list[int] | None = None  # per fit: inner-CV folds (0: fixed C)
    cv_accuracy: list[float | None] | None = None  # per fit: mean inner-CV accuracy at the chosen C


def _std(values: list[float]) -> float:
    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def probe_sweep(train_x: Any, train_y: np.ndarray, test_x: Any, test_y: np.ndarray, *,
                sizes: Sequence[int | None] = DEFAULT_SIZES, repeats: int = DEFAULT_REPEATS, random_state: int = 0,
                C: float = DEFAULT_C, cv_C: Sequence[float] | None = DEFAULT_C_GRID, scaler: str = DEFAULT_SCALER,
                cv_folds: int = DEFAULT_CV_FOLDS, max_iter: int = DEFAULT_MAX_ITER, tol: float = DEFAULT_TOL,
                threads: int | None = 1) -> list[SweepRow]:
    """Probe scores over labelled training sizes (per class), ``repeats`` seeded subsamples each.

    A size equal to the largest class is the whole training set: it is fit once and reported as such
    (``repeats=1``), since repeating a deterministic fit on the same data adds nothing.  A size above
    the largest class has no row: its probe would be the all-labels one (``size=None``), and a column
    ``probe_accuracy@5000`` from 100 sentences a class would claim labels that do not exist
    (:func:`sizes_above` names the sizes left out).

    ``threads`` caps BLAS/OpenMP threads during the sweep (``None``: leave them alone).  The fits
    are small; on a shared 2-core machine two BLAS threads made the 14 × 10k × 768 sweep 16× slower
    (21 s against 1.3 s single-threaded, measured), and one thread per cell lets cells run side by side.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be ≥ 1, got {repeats}")
    with threadpool_limits(limits=threads) if threads is not None else contextlib.nullcontext():
        return _sweep(train_x, train_y, test_x, test_y, sizes, repeats, random_state,
                      dict(C=C, cv_C=cv_C, scaler=scaler, cv_folds=cv_folds, max_iter=max_iter, tol=tol,
                           threads=None))


def _sweep(train_x: Any, train_y: np.ndarray, test_x: Any, test_y: np.ndarray,
           sizes: Sequence[int | None], repeats: int, random_state: int, kw: dict[str, Any]) -> list[SweepRow]:
    compact = bool(kw["cv_C"])  # float32 → float64 (and CSR) once, not once per fit
    train_x, test_x = _features(train_x, compact), _features(test_x, compact)
    train_y = np.asarray(train_y)
    largest = largest_class(train_y)
    cache: dict[tuple[int, int], ProbeScore] = {}  # (per_class or -1, repeat) → score
    rows = []
    for size in sizes:
        if size is not None and size < 1:
            raise ValueError(f"probe sizes must be ≥ 1 per class (or None for all), got {size}")
        if size is not None and size > largest:
            continue  # the all-labels point, never a column pretending to be this size
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
                             [s.C for s in scores], sum(not s.converged for s in scores),
                             [s.scaler for s in scores], [s.folds for s in scores], [s.cv_accuracy for s in scores]))
    return rows


def largest_class(labels: np.ndarray) -> int:
    """Examples in the largest class of ``labels``."""
    return int(np.bincount(np.unique(np.asarray(labels), return_inverse=True)[1]).max())


def sizes_above(sizes: Sequence[int | None], labels: np.ndarray) -> list[int]:
    """The probe sizes (per class) that exceed every class of ``labels``: :func:`probe_sweep` leaves them out."""
    largest = largest_class(labels)
    return [int(s) for s in sizes if s is not None and s > largest]


def sweep_scalars(rows: Sequence[SweepRow]) -> dict[str, float | int]:
    """Flat leaderboard names: ``probe_accuracy`` / ``probe_macro_f1`` / ``probe_C`` for "all", ``…@n`` per size."""
    out: dict[str, float | int] = {}
    for row in rows:
        if row.per_class is None:
            out.update(probe_accuracy=row.accuracy_mean, probe_macro_f1=row.macro_f1_mean,
                       probe_train_size=row.n_train, probe_C=row.C[0])
            continue
        tag = f"@{row.per_class}"
        out.update({f"probe_accuracy{tag}": row.accuracy_mean, f"probe_accuracy_std{tag}": row.accuracy_std,
                    f"probe_macro_f1{tag}": row.macro_f1_mean, f"probe_macro_f1_std{tag}": row.macro_f1_std})
    out["probe_unconverged"] = sum(r.unconverged for r in rows)
    return out


def sweep_table(rows: Sequence[SweepRow]) -> list[dict[str, Any]]:
    """The sweep as JSON-ready rows (for ``record["metrics"]["analysis"]``)."""
    return [asdict(r) for r in rows]
