"""Query latency of an index of codes: a scipy.sparse inverted index against a dense matrix product.

The harness reports an index's *modelled* cost (average FLOPS, CSR bytes, posting skew:
``tasks.retrieval``); this measures what it costs to answer queries with the two indexes one would
build, per method-like code shape, 10,000 documents:

* ``dense32``: a dense 32-d code (VAE, HSVAE's raw code, a PCA): every entry non-zero;
* ``topk1536``: a 1536-wide TopK dictionary with 32 active latents per code, latents drawn with a
  Zipf-like popularity (a few latents in many codes, as trained sparse autoencoders have), so its
  posting lists are skewed like real ones.

Each index answers queries one at a time (``latency``: a search box) and in batches of 1,000
(``batch``: offline scoring), returning each query's 10 best documents.  The dense index is the
documents as a C-contiguous float32 matrix (one BLAS product per query); the inverted index is the
documents' transpose as CSR (row d = the posting list of latent d), and a query's scores are the
sum of its active latents' posting lists weighted by its values.  Times are recorded by
pytest-benchmark, never asserted; ``extra_info`` holds µs per query, FLOPS, bytes and the posting
skew.  The test asserts that both indexes return the same top scores.
"""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from tasks.retrieval import index_cost

DOCS, QUERIES, TOP = 10_000, 1_000, 10
SHAPES = ("dense32", "topk1536")


def _codes(shape: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if shape == "dense32":
        return rng.standard_normal((n, 32)).astype(np.float32)
    width, active = 1536, 32
    popularity = 1.0 / np.arange(1, width + 1) ** 0.7
    popularity /= popularity.sum()
    out = np.zeros((n, width), dtype=np.float32)
    for i in range(n):
        out[i, rng.choice(width, active, replace=False, p=popularity)] = rng.exponential(1.0, active)
    return out


@pytest.fixture(scope="module", params=SHAPES)
def data(request):
    rng = np.random.default_rng(0)
    docs, queries = _codes(request.param, DOCS, rng), _codes(request.param, QUERIES, rng)
    return request.param, docs, queries


def _top(scores: np.ndarray) -> np.ndarray:
    """Each row's TOP best scores, sorted (the values: equal scores make the indices ambiguous)."""
    part = np.argpartition(scores, scores.shape[1] - TOP, axis=1)[:, -TOP:]
    return -np.sort(-np.take_along_axis(scores, part, 1), axis=1)


class DenseIndex:
    def __init__(self, docs: np.ndarray) -> None:
        self.t = np.ascontiguousarray(docs.T)

    def search(self, queries: np.ndarray) -> np.ndarray:
        return _top(queries @ self.t)

    @property
    def nbytes(self) -> int:
        return self.t.nbytes


class InvertedIndex:
    """Posting lists: row d of the documents' transpose (CSR) lists the documents with latent d and their values."""

    def __init__(self, docs: np.ndarray) -> None:
        self.postings = sp.csr_matrix(docs.T)

    def search(self, queries: sp.csr_matrix) -> np.ndarray:
        return _top((queries @ self.postings).toarray())

    @property
    def nbytes(self) -> int:
        p = self.postings
        return p.data.nbytes + p.indices.nbytes + p.indptr.nbytes


def _run(index, queries, mode: str) -> np.ndarray:
    if mode == "batch":
        return index.search(queries)
    return np.vstack([index.search(queries[i:i + 1]) for i in range(queries.shape[0])])


@pytest.mark.parametrize("mode", ["latency", "batch"])
@pytest.mark.parametrize("kind", ["dense", "inverted"])
def test_query_latency(benchmark, data, kind, mode):
    shape, docs, queries = data
    n_queries = QUERIES if mode == "batch" else 200  # one at a time: 200 queries are enough to time
    q = queries[:n_queries]
    index, q = (DenseIndex(docs), q) if kind == "dense" else (InvertedIndex(docs), sp.csr_matrix(q))
    with threadpool_limits(limits=1):
        got = benchmark.pedantic(_run, args=(index, q, mode), rounds=3, iterations=1, warmup_rounds=1)
    cost = index_cost(docs, queries)
    benchmark.extra_info.update(
        shape=shape, index=kind, mode=mode, documents=DOCS, queries=n_queries, top=TOP,
        us_per_query=round(benchmark.stats.stats.median / n_queries * 1e6, 2), index_bytes=index.nbytes,
        flops=round(cost.flops, 3), posting_skew=round(cost.posting_skew, 2), doc_nnz=cost.doc_nnz)
    want = DenseIndex(docs).search(queries[:n_queries])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
