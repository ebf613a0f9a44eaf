"""Column statistics of codes shared by the use metrics (k-sparse probes, ablation, retrieval, clustering).

Codes arrive dense (``[N, D]`` numpy) or as a scipy.sparse matrix (the TF-IDF reference); a dense code
that is mostly exact zeros (TopK's 32 of 1536) is handled as CSR, so that a product over it costs its
active entries rather than N × D.  Everything here works on either representation and gives the same
numbers (a test checks it).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

#: A dense code with at most this fraction of non-zero entries is handled as CSR (products cost its non-zeros).
SPARSE_DENSITY = 0.25


def as_codes(codes: Any, dtype: type = np.float64) -> np.ndarray | sp.csr_matrix:
    """``codes`` as a finite ``[N, D]`` float matrix: CSR if it is sparse or mostly exact zeros, else dense."""
    if sp.issparse(codes):
        x = sp.csr_matrix(codes, dtype=dtype)
        values = x.data
    else:
        x = np.asarray(codes, dtype=dtype)
        if x.ndim != 2:
            raise ValueError(f"codes must be an [N, D] matrix, got shape {x.shape}")
        values = x
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"codes must be a non-empty [N, D] matrix, got shape {x.shape}")
    if not np.all(np.isfinite(values)):
        raise ValueError("codes contain non-finite values (NaN or inf)")
    if not sp.issparse(x) and np.count_nonzero(x) <= SPARSE_DENSITY * x.size:
        x = sp.csr_matrix(x)
    return x


def dense(x: np.ndarray | sp.spmatrix) -> np.ndarray:
    return x.toarray() if sp.issparse(x) else np.asarray(x)


def class_onehot(labels: np.ndarray) -> tuple[np.ndarray, sp.csr_matrix]:
    """(classes, ``[C, N]`` one-hot CSR of each code's class): per-class sums are one product."""
    labels = np.asarray(labels)
    classes, inverse = np.unique(labels, return_inverse=True)
    n = len(labels)
    return classes, sp.csr_matrix((np.ones(n), (inverse, np.arange(n))), shape=(len(classes), n))


def column_sums(x: np.ndarray | sp.spmatrix) -> np.ndarray:
    return np.asarray(x.sum(axis=0), dtype=np.float64).ravel()


def correlation_ratio(codes: Any, labels: np.ndarray) -> np.ndarray:
    """Per feature d, the correlation ratio η²_d = Σ_c n_c (μ_cd − μ_d)² / Σ_x (x_d − μ_d)²: the share of the
    feature's variance that lies between the class means, in [0, 1].

    It ranks features by the spread of their class means in units of their own spread, so it does not
    depend on the feature's scale or offset (a sparse code and a dense one of another scale are ranked
    alike); with two classes it orders features as the standardised mean difference |μ₁ − μ₀| / σ does.
    A feature constant over the codes has no variance to explain: its η² is −1, below every real value,
    so it is never chosen.
    """
    x = as_codes(codes)
    labels = np.asarray(labels)
    if x.shape[0] != len(labels):
        raise ValueError(f"codes [N, D] and labels [N] must match, got {x.shape} and {labels.shape}")
    n = x.shape[0]
    _, onehot = class_onehot(labels)
    sizes = np.asarray(onehot.sum(axis=1), dtype=np.float64).ravel()
    mean = column_sums(x) / n
    class_means = dense(onehot @ x).astype(np.float64) / sizes[:, None]  # [C, D]
    between = (sizes[:, None] * (class_means - mean) ** 2).sum(0)
    if sp.issparse(x):  # Σ x² − n μ²: centring would densify it (sparse codes have small offsets)
        total = column_sums(x.multiply(x)) - n * mean ** 2
    else:
        total = ((x - mean) ** 2).sum(0)
    constant = constant_columns(x)
    safe = np.where(constant | (total <= 0), 1.0, total)
    eta = np.clip(between / safe, 0.0, 1.0)
    return np.where(constant, -1.0, eta)


def constant_columns(x: np.ndarray | sp.spmatrix) -> np.ndarray:
    """Boolean mask of features whose value never changes over the rows (max == min; implicit zeros count)."""
    if sp.issparse(x):
        return dense(x.max(axis=0)).ravel() == dense(x.min(axis=0)).ravel()
    return x.max(axis=0) == x.min(axis=0)


def ranked_features(scores: np.ndarray) -> np.ndarray:
    """Feature indices by decreasing score, ties by index (stable), constant features (score < 0) left out."""
    order = np.argsort(-scores, kind="stable")
    return order[scores[order] >= 0]
