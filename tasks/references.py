"""Non-learned reference codes and their scoring: what a method's number is read against.

A probe accuracy of 0.17 means nothing alone; beside "a 32-dimensional linear projection of word
counts scores 0.27 on the same split and probe" it says the method lost most of the label
information.  This module makes those codes (torch-free, scikit-learn) and scores them through the
*same* loop and scorers as every method (:func:`tasks.scoring.score`, the metric table), so a
reference row differs from a method row only in where its codes came from:

* ``tfidf``: full TF-IDF of the training split's token sequences (vocabulary and idf fit on the
  training split; the upper reference), kept sparse throughout;
* ``tfidf-svd``: that TF-IDF projected by TruncatedSVD to the run's latent size (seeded);
* ``embedding``: the frozen sentence embedding of the embedding track itself (dense);
* ``embedding-pca``: its PCA to the latent size (seeded), with the PCA reconstruction as decoded embedding.

(``untrained``, the text backbone at random init, needs torch: ``bench.cells.reference`` declares it.)

Each reference is declared once (:class:`ReferenceInfo`) with its own ``compute``, which reads the
cell's prepared data through :class:`ReferenceData` and returns the row's numbers.

Sparse codes: the probe takes scipy.sparse input (``tasks.probes``: scaling without centring, the
same optimum), and so do the use metrics (``tasks.scorers_use``: k-sparse probes, retrieval, ablation,
clustering; TF-IDF is the classic sparse index).  The dense-only scorers (sparsity, activity, class activation) are computed here
row-wise on the sparse matrix with the same definitions and the same metric names (a test checks
them against the dense scorers); any other scorer (a plugin's) cannot read a sparse matrix and is
listed under ``analysis["not_applicable"]``, never run on a wrong input.  The class-activation
profile ([C, D], D the vocabulary) is left out of the record to keep it small, and said so.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, Sequence

import numpy as np
import scipy.sparse as sp

from tasks.class_activation import SMOOTHING, js_matrix, kl_matrix
from tasks.metric_types import Scored
from tasks.metrics import all_scorers
from tasks.scorers import class_null_scored
from tasks.scoring import ScoringConfig, score

#: Bump when a change here changes a reference's codes (old reference records are then recomputed).
REFERENCE_VERSION = 1
#: The mode name of every non-learned reference (they have one, deterministic code).
REFERENCE_MODE = "code"


class ReferenceData(Protocol):
    """What a reference's compute reads of the cell it stands beside: its prepared splits, as numpy.

    The harness builds it from the cell's own data (the same seeded subsample, vocabulary and scaled
    embeddings as the cell); ``memo`` keeps what references of the same data share (the TF-IDF).
    """

    seed: int
    scoring: ScoringConfig
    #: the code size a projection reference projects to (the run's latent size)
    latent_dim: int
    train_labels: np.ndarray
    test_labels: np.ndarray
    memo: dict[str, Any]

    def documents(self, split: str) -> list[np.ndarray]:
        """Each sentence's token ids without ``<EOS>`` (text track); ``split`` is "train" or "test"."""

    def inputs(self, split: str) -> np.ndarray:
        """The frozen encoder's embeddings ``[N, dim]``, as the cell reads them (embedding track)."""


@dataclass(frozen=True)
class ReferenceOutput:
    """A reference's numbers: the record's ``metrics``, and what the codes were (``provenance.reference``)."""

    metrics: dict[str, Any]
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReferenceInfo:
    """A reference row, declared once: which track it stands beside and how its numbers are computed.

    ``compute`` reads the cell's data and returns the row's numbers; a reference whose codes come from
    a model (``untrained``) is declared by the harness, which has the models (``bench.cells.reference``).
    """

    name: str
    track: str  # "text" or "embedding": which backbone's runs it stands beside
    description: str
    uses_latent_dim: bool
    compute: Callable[[Any], ReferenceOutput] = field(compare=False, repr=False)


def code_metrics(scored: ReferenceScores) -> dict[str, Any]:
    """The record's ``metrics`` of a reference with one deterministic code (:data:`REFERENCE_MODE`)."""
    return {"modes": {REFERENCE_MODE: scored.scalars}, "default_mode": REFERENCE_MODE,
            "analysis": {REFERENCE_MODE: scored.analysis}, "reconstruction": {},
            "modes_kind": {REFERENCE_MODE: "deterministic"},
            "headline_modes": {"deterministic": REFERENCE_MODE, "stochastic": None}}


def _tfidf_of(data: ReferenceData) -> tuple[Any, Any, dict[str, Any]]:
    """The TF-IDF of the cell's documents, computed once per data (``tfidf`` and ``tfidf-svd`` share it)."""
    if "tfidf" not in data.memo:
        data.memo["tfidf"] = tfidf_codes(data.documents("train"), data.documents("test"))
    return data.memo["tfidf"]


def _scored(data: ReferenceData, train: Any, test: Any, details: dict[str, Any], *, exact_zeros: bool,
            **decoded: Any) -> ReferenceOutput:
    started = time.perf_counter()
    scored = score_codes(train, data.train_labels, test, data.test_labels, seed=data.seed, config=data.scoring,
                         exact_zeros=exact_zeros, **decoded)
    return ReferenceOutput(code_metrics(scored), {**details, "eval_seconds": round(time.perf_counter() - started, 3)})


def tfidf_reference(data: ReferenceData) -> ReferenceOutput:
    train, test, details = _tfidf_of(data)
    return _scored(data, train, test, dict(details), exact_zeros=True)


def tfidf_svd_reference(data: ReferenceData) -> ReferenceOutput:
    train, test, details = _tfidf_of(data)
    train, test, svd = svd_codes(train, test, data.latent_dim, data.seed)
    return _scored(data, train, test, {**details, "svd": svd}, exact_zeros=False)


def embedding_reference(data: ReferenceData) -> ReferenceOutput:
    train, test = data.inputs("train"), data.inputs("test")
    return _scored(data, train, test, {}, exact_zeros=False, test_inputs=test, train_decoded=train,
                   test_decoded=test)


def embedding_pca_reference(data: ReferenceData) -> ReferenceOutput:
    train, test = data.inputs("train"), data.inputs("test")
    codes, test_codes, dec_train, dec_test, details = pca_codes(train, test, data.latent_dim, data.seed)
    return _scored(data, codes, test_codes, details, exact_zeros=False, test_inputs=test, train_decoded=dec_train,
                   test_decoded=dec_test)


#: The references numpy can compute, in the order they are listed and run (``untrained`` comes from bench).
REFERENCES: dict[str, ReferenceInfo] = {r.name: r for r in (
    ReferenceInfo("tfidf", "text", "full TF-IDF of the training split's tokens (sparse; upper reference)", False,
                  tfidf_reference),
    ReferenceInfo("tfidf-svd", "text", "TF-IDF → TruncatedSVD to the latent size (seeded)", True, tfidf_svd_reference),
    ReferenceInfo("embedding", "embedding", "the frozen sentence embedding itself (dense)", False, embedding_reference),
    ReferenceInfo("embedding-pca", "embedding", "the frozen embedding → PCA to the latent size (seeded)", True,
                  embedding_pca_reference),
)}


# --------------------------------------------------------------------------------------------- codes

def _as_tokens(doc: Sequence[int]) -> list[str]:
    return [str(int(t)) for t in doc]


def tfidf_codes(train_docs: Sequence[Sequence[int]], test_docs: Sequence[Sequence[int]]
                ) -> tuple[sp.csr_matrix, sp.csr_matrix, dict[str, Any]]:
    """TF-IDF (scikit-learn defaults: smooth idf, raw tf, l2 rows) of token-id sequences, fit on ``train_docs``.

    The corpora are tokenised already, so the analyzer is the token sequence itself (callers drop
    ``<EOS>``/padding); test tokens unseen in training have no column, as for any fitted vocabulary.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(analyzer=_as_tokens, dtype=np.float64)
    train = vec.fit_transform(train_docs).tocsr()
    test = vec.transform(test_docs).tocsr()
    return train, test, {"features": int(train.shape[1]), "fit_on": "training split",
                         "vectorizer": "sklearn TfidfVectorizer(analyzer=tokens, defaults)"}


def svd_codes(train: Any, test: Any, dim: int, seed: int) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """TruncatedSVD (randomised, ``random_state=seed``) to ``dim`` components, fit on the training codes.

    A vocabulary of at most ``dim`` words (a small user corpus) cannot be projected to ``dim``
    components: TruncatedSVD then keeps ``features − 1``, the most it can, and says so in
    ``components`` beside ``requested_components`` (the reference is still the best linear
    projection of the counts; failing the whole run over it would leave the methods without one).
    """
    from sklearn.decomposition import TruncatedSVD

    features = int(train.shape[1])
    if features < 2:
        raise ValueError(f"TruncatedSVD needs at least 2 TF-IDF features; the training split has {features}")
    components = min(dim, features - 1)
    svd = TruncatedSVD(n_components=components, random_state=seed)
    tr = svd.fit_transform(train)
    return (tr.astype(np.float32), svd.transform(test).astype(np.float32),
            {"components": components, "requested_components": dim,
             "explained_variance_ratio": float(svd.explained_variance_ratio_.sum())})


def pca_codes(train: np.ndarray, test: np.ndarray, dim: int, seed: int
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    """PCA (``random_state=seed``) to ``dim`` components fit on ``train``: codes and their reconstructions."""
    from sklearn.decomposition import PCA

    if dim > min(train.shape):
        raise ValueError(f"PCA to {dim} components needs at least {dim} training rows and dimensions; "
                         f"the embeddings are {train.shape[0]} × {train.shape[1]}")
    pca = PCA(n_components=dim, random_state=seed)
    tr, te = pca.fit_transform(train), pca.transform(test)
    return (tr.astype(np.float32), te.astype(np.float32), pca.inverse_transform(tr).astype(np.float32),
            pca.inverse_transform(te).astype(np.float32),
            {"components": dim, "explained_variance_ratio": float(pca.explained_variance_ratio_.sum())})


# ------------------------------------------------------------------------------------------- scoring

@dataclass
class ReferenceScores:
    """The scored mode of a reference, in the shape of a method's (``bench.cells.evaluate.Scores``) per-mode parts."""

    scalars: dict[str, float | int]
    analysis: dict[str, Any]


def score_codes(train_codes: Any, train_labels: np.ndarray, test_codes: Any, test_labels: np.ndarray, *,
                seed: int, config: ScoringConfig, exact_zeros: bool, test_inputs: np.ndarray | None = None,
                train_decoded: np.ndarray | None = None, test_decoded: np.ndarray | None = None) -> ReferenceScores:
    """Score one deterministic code exactly as ``bench.cells.evaluate.score_model`` scores a method's mode.

    The inputs are built as there (activity by :func:`tasks.activity.read_activity`, the same seed,
    no K-draw means for a deterministic code) and go through :func:`tasks.scoring.score`: a method's
    own codes fed through here give its numbers.  Sparse codes: see the module docstring.
    """
    from tasks.activity import read_activity

    if not sp.issparse(test_codes):
        test_codes = np.asarray(test_codes)
        activity, rule = read_activity(test_codes, exact_zeros=exact_zeros, threshold=config.activity_threshold)
        train_activity, _ = read_activity(train_codes, exact_zeros=exact_zeros, threshold=config.activity_threshold)
        inputs: dict[str, Any] = {"seed": seed, "train_codes": train_codes, "train_labels": train_labels,
                                  "test_codes": test_codes, "test_labels": test_labels, "test_activity": activity,
                                  "train_activity": train_activity, "activity_rule": rule, "mean_codes": None,
                                  "headline": True}
        if test_inputs is not None:
            inputs.update(test_inputs=test_inputs, test_decoded=test_decoded, train_decoded=train_decoded)
        scored = score(inputs, config)
        return ReferenceScores(scored.scalars, {"mode": REFERENCE_MODE, "stochastic": False,
                                                "exact_zeros": exact_zeros, "activity_rule": rule, **scored.analysis})
    return _score_sparse(sp.csr_matrix(train_codes), train_labels, sp.csr_matrix(test_codes), test_labels,
                         seed=seed, config=config)


#: The scorers whose input a sparse matrix can be: the probe and the use metrics read it as is; the others
#: are computed here.
_SPARSE_DIRECT = ("probes", "ksparse_probes", "retrieval", "class_ablation", "clustering")
_SPARSE_HERE = ("sparsity", "activity", "class_activation", "class_activation_null")


def _score_sparse(train: sp.csr_matrix, train_labels: np.ndarray, test: sp.csr_matrix, test_labels: np.ndarray, *,
                  seed: int, config: ScoringConfig) -> ReferenceScores:
    rule = "z ≠ 0 (exact zeros)"  # a TF-IDF entry is active where the word occurs
    active = (test != 0).astype(np.float64).tocsr()
    inputs = {"seed": seed, "train_codes": train, "train_labels": train_labels, "test_codes": test,
              "test_labels": test_labels, "test_activity": active, "activity_rule": rule,
              "train_activity": (train != 0).astype(np.float64).tocsr(), "headline": True}
    scorers = all_scorers()
    scored = score(inputs, config, scorers=[s for s in scorers if s.name in _SPARSE_DIRECT])
    here = [sparse_sparsity(test), sparse_activity(active), sparse_class_activation(active, test_labels),
            class_null_scored(active, test_labels, seed)]
    analysis: dict[str, Any] = {"mode": REFERENCE_MODE, "stochastic": False, "exact_zeros": True,
                                "activity_rule": rule, **scored.analysis}
    for name, part in zip(_SPARSE_HERE, here):
        scored.scalars.update(part.scalars)
        if part.analysis:
            analysis[name] = {**part.analysis, **({"rule": rule} if name != "sparsity" else {})}
    needs_codes = [s for s in scorers if s.per == "mode" and s.name not in _SPARSE_DIRECT + _SPARSE_HERE
                   and set(s.inputs) <= {"test_codes", "train_codes", "test_labels", "train_labels", "test_activity",
                                         "train_activity", "headline"}]
    if needs_codes:
        analysis["not_applicable"] = [f"{s.name} ({s.origin}): reads dense codes; the {test.shape[1]}-dimensional "
                                      "sparse TF-IDF is not densified" for s in needs_codes]
    return ReferenceScores(scored.scalars, analysis)


def _column_moments(x: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    n = x.shape[0]
    mean = np.asarray(x.sum(axis=0)).ravel() / n
    sq = np.asarray(x.multiply(x).sum(axis=0)).ravel() / n
    return mean, np.sqrt(np.maximum(sq - mean * mean, 0.0))


def _constant_columns(x: sp.csr_matrix) -> np.ndarray:
    """max == min over rows, implicit zeros included (as ``tasks.sparsity.constant_dims``)."""
    return np.asarray(x.max(axis=0).todense()).ravel() == np.asarray(x.min(axis=0).todense()).ravel()


def _avg_hoyer(x: sp.csr_matrix) -> tuple[float, int]:
    """(Average Hoyer over non-zero rows, zero rows) of ``x``, whose columns are all usable."""
    d = x.shape[1]
    if d < 2:
        return 0.0, x.shape[0]
    l1 = np.asarray(abs(x).sum(axis=1)).ravel()
    l2 = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    nonzero = l2 > 0
    if not nonzero.any():
        return 0.0, x.shape[0]
    h = np.clip((np.sqrt(d) - l1[nonzero] / l2[nonzero]) / (np.sqrt(d) - 1), 0.0, 1.0)
    return float(h.mean()), int((~nonzero).sum())


def sparse_sparsity(codes: sp.csr_matrix) -> Scored:
    """The ``sparsity`` scorer's metrics (``tasks.sparsity`` definitions) on a sparse matrix, row-wise.

    Std-normalising divides columns (no centring), which keeps zeros zero; constant columns are
    dropped before it, as in :func:`tasks.sparsity.average_hoyer`.
    """
    x = sp.csr_matrix(codes, dtype=np.float64, copy=True)
    x.eliminate_zeros()  # an explicitly stored 0.0 is a zero entry, as in the dense definition
    if x.nnz and not np.all(np.isfinite(x.data)):
        raise ValueError("codes contain non-finite values (NaN or inf)")
    constant = _constant_columns(x)
    kept = x[:, np.flatnonzero(~constant)]
    _, std = _column_moments(kept)
    normalised = kept @ sp.diags(1.0 / std) if kept.shape[1] else kept
    ah, zero = _avg_hoyer(sp.csr_matrix(normalised))
    raw, zero_raw = _avg_hoyer(x)
    l0 = float(np.diff(x.indptr).mean())
    return Scored({"avg_hoyer": ah, "avg_hoyer_raw": raw, "hoyer_dropped_dims": int(constant.sum()),
                   "hoyer_zero_codes": zero, "hoyer_zero_codes_raw": zero_raw, "l0": l0,
                   "zero_fraction": 1.0 - l0 / x.shape[1]})


def sparse_activity(active: sp.csr_matrix) -> Scored:
    """The ``activity`` scorer's metrics for a {0, 1} sparse activity matrix."""
    n, d = active.shape
    total = float(active.sum())
    ever = np.asarray(active.max(axis=0).todense()).ravel() > 0.5
    return Scored({"active_fraction": total / (n * d), "active_dims": total / n, "dead_fraction": float((~ever).mean())})


def sparse_class_activation(active: sp.csr_matrix, labels: np.ndarray, smoothing: float = SMOOTHING) -> Scored:
    """The ``class_activation`` scorer's metrics (:func:`tasks.class_activation.class_activation`) from sparse activity.

    Only the per-class counts [C, D] are needed; the [C, D] profile itself is not stored (D is the
    vocabulary: megabytes of JSON per record).
    """
    labels = np.asarray(labels)
    classes, inverse = np.unique(labels, return_inverse=True)
    onehot = sp.csr_matrix((np.ones(len(labels)), (inverse, np.arange(len(labels)))), shape=(len(classes), len(labels)))
    counts = np.asarray((onehot @ active).todense(), dtype=np.float64)
    sizes = np.bincount(inverse, minlength=len(classes))
    totals = counts.sum(1)
    silent = totals == 0
    p = np.where(silent[:, None], 0.0, counts / np.where(silent, 1.0, totals)[:, None]) + smoothing
    p /= p.sum(1, keepdims=True)
    kl, js = kl_matrix(p), js_matrix(p)
    c = len(classes)
    mean = (lambda m: float(m.sum() / (c * (c - 1))) if c > 1 else 0.0)
    return Scored({"class_kl_mean": mean(kl), "class_js_mean": mean(js), "class_silent": int(silent.sum())},
                  {"classes": classes.tolist(), "class_sizes": sizes.tolist(), "kl": kl.tolist(), "js": js.tolist(),
                   "profile": None, "profile_omitted": f"[{c}, {active.shape[1]}] profile not stored (sparse TF-IDF)"})
