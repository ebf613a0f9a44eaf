"""Retrieval with codes, and what an inverted index of them costs.

The training codes are the index, the test codes the queries, and a document is relevant to a query
when it has the query's class (MTEB-style retrieval with labels as relevance).  Quality:

* **precision@10**: the share of same-class documents among the 10 best-scored;
* **mAP@100**: the mean over queries of AP@100 = Σ_{i≤100} P@i · rel_i / min(R, 100), R the query
  class's documents in the index (normalised by the most relevant documents the cut-off can hold, so a
  perfect ranking scores 1 whatever R is; trec_eval's ``map_cut_100`` divides by R instead, which caps
  it at 100/R).  A query whose class has no document in the index scores 0 on both.

At most :data:`MAX_QUERIES` test codes are queries (a seeded sample; the same for both readings below).
The score is the dot product of the codes (``similarity="cosine"``: of the L2-normalised codes; a zero
code scores 0 against everything).  Ties, common for sparse codes that share few active latents, are
broken by a seeded random order of the documents, never by their position in the split (the corpora's
files are grouped by class, so a positional tie-break would favour whichever class comes first).  The
top 100 are found per chunk of queries with ``np.argpartition`` on dense score blocks; products are
sparse (scipy CSR) when the codes share few active entries per pair (a TopK code costs its active
entries), dense BLAS products otherwise (:data:`SPARSE_PRODUCT_RATIO`).

Cost of the index, on the index's exact non-zeros:

* **average FLOPS** (sentence-transformers' sparse evaluators, after Paria et al. 2020): Σ_d p_q(d)·p_D(d),
  p_q(d) and p_D(d) the fractions of queries and of documents with a non-zero at d: the expected
  number of multiply-adds an inverted index spends on one (query, document) pair.  D for dense codes;
* **index bytes**: the index as a scipy.sparse CSR matrix of float32 values (data + indices + indptr);
* **posting-list skew**: the longest posting list (largest document frequency) over the mean length of
  the non-empty ones: 1 when every list is as long, large when a few latents are in most documents and
  every query touching them scans most of the index.  An index with no entries has 1.

Codes without exact zeros (VAEs, HSVAE's spike noise around 0) are dense by this count: FLOPS = D,
the CSR index twice the size of the dense float32 matrix.  That is what storing them costs; but such a code says itself
which entries are "off" (HSVAE's slab indicator, TON's gate, |z| > 0.15 for a Gaussian: the mode's
activity rule), so :func:`masked` zeroes the inactive entries (activity ≤ 0.5) and the same quality
and cost are reported for that code as well, the index one would build from it.  For codes with exact
zeros both readings are the same code.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from tasks.activity import kept
from tasks.code_stats import as_codes

PRECISION_AT = 10
MAP_AT = 100
SIMILARITIES = ("dot", "cosine")
#: Queries scored per block: 1024 × 10K documents × 4 bytes = 40 MB of scores at a time.
QUERY_CHUNK = 1024
#: Queries scored at most (a seeded random sample beyond; the index is always the whole training split): the
#: standard error of a mean precision over 5,000 queries is at most 0.5 / √5000 ≈ 0.007, and the top-100
#: search costs about 60 ms per 1024 queries against 10K documents, the dearest step of the use metrics.
MAX_QUERIES = 5000
#: Scores are sparse products (scipy CSR) when the FLOPS is below width / this, dense BLAS products otherwise:
#: measured on 1024 × 10K blocks, a sparse product costs about 0.16 s per unit of FLOPS, a dense one about
#: 0.3 ms per dimension (32-d at FLOPS 1.2: dense 20 ms, sparse 190 ms; 1536-wide TopK at 0.67: 490 / 120 ms).
SPARSE_PRODUCT_RATIO = 500
#: Wider codes (a TF-IDF vocabulary) are never densified.
MAX_DENSE_WIDTH = 4096


@dataclass(frozen=True)
class RetrievalScore:
    precision: float  # mean precision@k over queries
    average_precision: float  # mean AP@m over queries
    k: int
    m: int
    queries: int
    unanswerable: int  # queries whose class has no document in the index


@dataclass(frozen=True)
class IndexCost:
    flops: float  # Σ_d p_q(d) p_D(d)
    index_bytes: int  # data + indices + indptr of the float32 CSR index
    posting_skew: float  # max document frequency / mean of the non-empty ones
    doc_nnz: float  # mean non-zeros per document
    query_nnz: float  # mean non-zeros per query


def _pair(index: Any, queries: Any, similarity: str) -> tuple[Any, Any]:
    if similarity not in SIMILARITIES:
        raise ValueError(f"unknown similarity {similarity!r}; valid: {', '.join(SIMILARITIES)}")
    d, q = as_codes(index, np.float32), as_codes(queries, np.float32)
    if d.shape[1] != q.shape[1]:
        raise ValueError(f"index and query codes differ in width: {d.shape[1]} and {q.shape[1]}")
    width = d.shape[1]
    flops = float(_nonzero_fraction(q)[0] @ _nonzero_fraction(d)[0])
    if width > MAX_DENSE_WIDTH or flops < width / SPARSE_PRODUCT_RATIO:
        d, q = sp.csr_matrix(d), sp.csr_matrix(q)
    else:
        d, q = (x.toarray() if sp.issparse(x) else x for x in (d, q))
    if similarity == "cosine":
        d, q = _unit_rows(d), _unit_rows(q)
    return d, q


def _unit_rows(x: Any) -> Any:
    sq = np.asarray(x.multiply(x).sum(axis=1)).ravel() if sp.issparse(x) else (x.astype(np.float64) ** 2).sum(1)
    norm = np.sqrt(sq)
    inv = np.where(norm > 0, 1.0 / np.where(norm > 0, norm, 1.0), 0.0).astype(np.float32)
    return sp.csr_matrix(sp.diags(inv) @ x) if sp.issparse(x) else x * inv[:, None]


def top_documents(index: Any, queries: Any, m: int, *, similarity: str = "dot", random_state: int = 0,
                  chunk: int = QUERY_CHUNK, threads: int | None = 1) -> np.ndarray:
    """``[Q, min(m, N)]`` indices of each query's best-scored documents, best first; ties in seeded random order.

    ``threads`` caps BLAS threads as the probes do (one thread per cell; ``None``: leave them alone).
    """
    with threadpool_limits(limits=threads) if threads is not None else contextlib.nullcontext():
        return _top_documents(index, queries, m, similarity, random_state, chunk)


def _top_documents(index: Any, queries: Any, m: int, similarity: str, random_state: int, chunk: int) -> np.ndarray:
    d, q = _pair(index, queries, similarity)
    n = d.shape[0]
    m = min(int(m), n)
    if m < 1:
        raise ValueError(f"m must be ≥ 1, got {m}")
    # documents in a seeded random order: among equal scores the earlier in this order ranks first
    perm = np.random.default_rng(np.random.SeedSequence([int(random_state), 0x5E7])).permutation(n)
    dt = d[perm].T
    dt = dt.tocsr() if sp.issparse(dt) else np.ascontiguousarray(dt)
    out = np.empty((q.shape[0], m), dtype=np.int64)
    for start in range(0, q.shape[0], chunk):
        block = q[start:start + chunk] @ dt
        scores = block.toarray() if sp.issparse(block) else np.asarray(block)
        out[start:start + len(scores)] = perm[_top_positions(scores, m)]
    return out


def _top_positions(scores: np.ndarray, m: int) -> np.ndarray:
    """Per row, the positions of the m largest scores, ranked by (score descending, position ascending).

    ``argpartition`` finds them in linear time (about 35 ms for 1024 × 10K scores, measured); it picks
    arbitrarily among scores tied at the cut-off, so a row with more such ties than places is redone
    with the earliest positions, and the m are then sorted.  (Cutting rows to candidate blocks first
    was measured slower: the blocks' maxima cost as much as the partition.)
    """
    n = scores.shape[1]
    if m == n:
        part = np.broadcast_to(np.arange(m), scores.shape).copy()
    else:
        part = np.argpartition(scores, n - m, axis=1)[:, n - m:]
    vals = np.take_along_axis(scores, part, 1)
    cut = vals.min(axis=1)
    tied = (scores >= cut[:, None]).sum(1) > m
    for i in np.flatnonzero(tied):
        row = scores[i]
        above = np.flatnonzero(row > cut[i])
        part[i] = np.concatenate([above, np.flatnonzero(row == cut[i])[:m - len(above)]])
        vals[i] = row[part[i]]
    order = np.lexsort((part, -vals), axis=1)
    return np.take_along_axis(part, order, 1)


def query_sample(n: int, max_queries: int | None, random_state: int) -> np.ndarray:
    """Sorted indices of the queries scored: all, or a seeded random ``max_queries`` of them."""
    if max_queries is None or n <= max_queries:
        return np.arange(n)
    rng = np.random.default_rng(np.random.SeedSequence([int(random_state), 0x9E7]))
    return np.sort(rng.choice(n, int(max_queries), replace=False))


def retrieval_quality(index: Any, index_labels: np.ndarray, queries: Any, query_labels: np.ndarray, *,
                      k: int = PRECISION_AT, m: int = MAP_AT, similarity: str = "dot", random_state: int = 0,
                      max_queries: int | None = MAX_QUERIES) -> RetrievalScore:
    """Same-class precision@k and mAP@m of ``queries`` against ``index`` (see the module docstring)."""
    index_labels, query_labels = np.asarray(index_labels), np.asarray(query_labels)
    if index.shape[0] != len(index_labels) or queries.shape[0] != len(query_labels):
        raise ValueError(f"codes and labels must match: index {index.shape} with {index_labels.shape} labels, "
                         f"queries {queries.shape} with {query_labels.shape} labels")
    asked = query_sample(len(query_labels), max_queries, random_state)
    if len(asked) < len(query_labels):
        queries = sp.csr_matrix(queries)[asked] if sp.issparse(queries) else np.asarray(queries)[asked]
        query_labels = query_labels[asked]
    top = top_documents(index, queries, max(k, m), similarity=similarity, random_state=random_state)
    rel = index_labels[top] == query_labels[:, None]  # [Q, max(k, m)]
    classes, counts = np.unique(index_labels, return_counts=True)
    r = np.zeros(len(query_labels), dtype=np.int64)
    known = np.isin(query_labels, classes)
    r[known] = counts[np.searchsorted(classes, query_labels[known])]
    k, m = min(k, top.shape[1]), min(m, top.shape[1])
    precision = rel[:, :k].sum(1) / k
    hits = rel[:, :m]
    precision_at_i = np.cumsum(hits, 1) / np.arange(1, m + 1)
    ap = (precision_at_i * hits).sum(1) / np.maximum(np.minimum(r, m), 1)
    return RetrievalScore(float(precision.mean()), float(ap.mean()), k, m, len(query_labels), int((r == 0).sum()))


def _nonzero_fraction(x: Any) -> tuple[np.ndarray, float]:
    """(per dimension, the fraction of rows with a non-zero; mean non-zeros per row)."""
    if sp.issparse(x):
        x = sp.csr_matrix(x)
        x.eliminate_zeros()
        df = np.bincount(x.indices, minlength=x.shape[1]).astype(np.float64)
    else:
        df = np.count_nonzero(np.asarray(x), axis=0).astype(np.float64)
    return df / x.shape[0], float(df.sum() / x.shape[0])


def index_cost(index: Any, queries: Any) -> IndexCost:
    """Average FLOPS, CSR size and posting-list skew of ``index`` (documents) for ``queries``."""
    p_d, doc_nnz = _nonzero_fraction(index)
    p_q, query_nnz = _nonzero_fraction(queries)
    if len(p_d) != len(p_q):
        raise ValueError(f"index and query codes differ in width: {len(p_d)} and {len(p_q)}")
    csr = sp.csr_matrix(index, dtype=np.float32)
    csr.eliminate_zeros()
    df = p_d * index.shape[0]
    used = df[df > 0]
    skew = float(used.max() / used.mean()) if len(used) else 1.0
    return IndexCost(float(np.dot(p_q, p_d)), int(csr.data.nbytes + csr.indices.nbytes + csr.indptr.nbytes), skew,
                     doc_nnz, query_nnz)


def masked(codes: Any, activity: Any, keep: Any = None) -> Any:
    """``codes`` with the entries its activity reading does not keep (:func:`kept`, or ``keep`` if given) set to 0."""
    keep = kept(activity) if keep is None else keep
    if sp.issparse(codes):
        return sp.csr_matrix(sp.csr_matrix(codes).multiply(keep))
    return np.where(keep, np.asarray(codes), 0).astype(np.asarray(codes).dtype, copy=False)


def masks_nothing(codes: Any, activity: Any, keep: Any = None) -> bool:
    """Whether :func:`masked` leaves ``codes`` as they are: every non-zero entry is kept (``keep``: as for it)."""
    keep = kept(activity) if keep is None else keep
    if sp.issparse(codes):
        c = sp.csr_matrix(codes)
        c.eliminate_zeros()
        rows = np.repeat(np.arange(c.shape[0]), np.diff(c.indptr))
        k = keep[rows, c.indices] if sp.issparse(keep) else keep[rows, c.indices]
        return bool(np.all(np.asarray(k).ravel()))
    return not bool(np.any((np.asarray(codes) != 0) & ~np.asarray(keep)))
