"""Retrieval quality on hand-built indexes, FLOPS on indicator vectors, CSR bytes, posting skew, masking, ties."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from tasks import retrieval
from tasks.activity import kept
from tasks.retrieval import (_top_positions, index_cost, masked, masks_nothing, query_sample, retrieval_quality,
                             top_documents)

# four documents of two classes, two queries (see test_precision_and_ap_by_hand)
DOCS = np.array([[1.0, 0.0, 0.0], [0.9, 0.1, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
DOC_Y = np.array(["A", "B", "A", "B"])
QUERIES = np.array([[1.0, 0.5, 0.0], [0.0, 0.2, 1.0]])
QUERY_Y = np.array(["A", "A"])


def test_precision_and_ap_by_hand():
    """q0 scores d0 1, d1 0.95, d2 0.5, d3 0: ranks A B A → P@2 = 1/2, AP@3 = (1/1 + 2/3) / min(R=2, 3) = 5/6.
    q1 scores d3 1, d2 0.2, d1 0.02, d0 0: ranks B A B → P@2 = 1/2, AP@3 = (1/2) / 2 = 1/4."""
    assert top_documents(DOCS, QUERIES, 3).tolist() == [[0, 1, 2], [3, 2, 1]]
    r = retrieval_quality(DOCS, DOC_Y, QUERIES, QUERY_Y, k=2, m=3)
    assert r.precision == pytest.approx(0.5)
    assert r.average_precision == pytest.approx((5 / 6 + 1 / 4) / 2)
    assert (r.queries, r.unanswerable) == (2, 0)


def test_a_perfect_ranking_scores_one_and_an_unanswerable_query_zero():
    docs = np.repeat(np.eye(3), 4, axis=0)  # 4 documents per class, each on its own axis
    labels = np.repeat(np.arange(3), 4)
    r = retrieval_quality(docs, labels, np.eye(3), np.arange(3), k=4, m=100)
    assert (r.precision, r.average_precision) == (1.0, 1.0), "AP normalised by min(R, m) = 4"
    lost = retrieval_quality(docs, labels, np.eye(3), np.array([0, 1, 9]), k=4, m=100)
    assert lost.unanswerable == 1 and lost.precision == pytest.approx(2 / 3)


def test_cosine_normalises_and_an_unknown_similarity_is_refused():
    docs = np.array([[10.0, 0.0], [1.0, 1.0]])
    q = np.array([[1.0, 1.2]])
    assert top_documents(docs, q, 1, similarity="dot").tolist() == [[0]]  # 10 against 2.2
    assert top_documents(docs, q, 1, similarity="cosine").tolist() == [[1]]
    with pytest.raises(ValueError, match="unknown similarity 'l2'"):
        top_documents(docs, q, 1, similarity="l2")


def test_ties_follow_a_seeded_order_never_the_files_class_order():
    """The corpora's files are grouped by class: a positional tie-break gave a zero query of class 0 a P@10 of 1."""
    docs = np.zeros((1000, 4))
    labels = np.repeat([0, 1], 500)
    queries = np.zeros((20, 4))
    # one seeded document order per cell: every all-tied query gets the same 10, a fair draw of both classes
    per_seed = [retrieval_quality(docs, labels, queries, np.zeros(20, dtype=int), k=10, m=10, random_state=s).precision
                for s in range(40)]
    assert max(per_seed) < 1.0 and np.mean(per_seed) == pytest.approx(0.5, abs=0.06)
    assert np.array_equal(top_documents(docs, queries[:3], 10, random_state=1),
                          top_documents(docs, queries[:3], 10, random_state=1))
    assert not np.array_equal(top_documents(docs, queries[:1], 10, random_state=1),
                              top_documents(docs, queries[:1], 10, random_state=2))


@pytest.mark.parametrize("case", ["continuous", "rounded", "mostly_zero", "sparse_counts"])
def test_top_positions_is_a_stable_sort_of_each_row(case):
    rng = np.random.default_rng(1)
    s = rng.standard_normal((60, 3000)).astype(np.float32)
    if case == "rounded":
        s = np.round(s, 1)
    elif case == "mostly_zero":
        s = np.zeros_like(s)
        s[:, rng.integers(0, 3000, 40)] = 1.0
    elif case == "sparse_counts":
        s = ((rng.random(s.shape) < 0.03) * rng.integers(1, 4, s.shape)).astype(np.float32)
    assert np.array_equal(_top_positions(s, 100), np.argsort(-s, axis=1, kind="stable")[:, :100])


def test_sparse_and_dense_products_rank_alike(monkeypatch):
    rng = np.random.default_rng(2)
    docs = np.where(rng.random((300, 64)) < 0.1, rng.random((300, 64)), 0.0)
    queries = np.where(rng.random((50, 64)) < 0.1, rng.random((50, 64)), 0.0)
    want = top_documents(docs, queries, 20)
    monkeypatch.setattr(retrieval, "SPARSE_PRODUCT_RATIO", 1e-9)  # always dense
    assert np.array_equal(top_documents(sp.csr_matrix(docs), queries, 20), want)
    monkeypatch.setattr(retrieval, "SPARSE_PRODUCT_RATIO", 1e9)  # always sparse
    assert np.array_equal(top_documents(docs, sp.csr_matrix(queries), 20, chunk=7), want)


def test_queries_beyond_the_cap_are_a_seeded_sample():
    assert np.array_equal(query_sample(10, None, 0), np.arange(10))
    a, b = query_sample(10_000, 5000, 3), query_sample(10_000, 5000, 3)
    assert len(a) == 5000 and np.array_equal(a, b) and np.all(np.diff(a) > 0)
    docs = np.repeat(np.eye(3), 4, axis=0)
    labels = np.repeat(np.arange(3), 4)
    assert retrieval_quality(docs, labels, docs, labels, k=4, max_queries=5).queries == 5


def test_flops_bytes_and_skew_by_hand():
    """Documents non-zero at d0 in 2 of 4 (p = 1/2), d1 in 4 of 4 (1), d2 never (0); queries at d0 in 2 of 2
    (1), d1 and d2 in 1 of 2 (1/2 each): FLOPS = 1·½ + ½·1 + ½·0 = 1, the mean shared non-zeros per pair."""
    docs = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 0.0], [3.0, 1.0, 0.0], [0.0, -1.0, 0.0]])
    queries = np.array([[1.0, 1.0, 0.0], [2.0, 0.0, 5.0]])
    cost = index_cost(docs, queries)
    shared = ((queries != 0).astype(int) @ (docs != 0).T.astype(int)).mean()
    assert cost.flops == pytest.approx(1.0) == pytest.approx(shared)
    # 6 float32 values + 6 int32 column indices + 5 int32 row pointers
    assert cost.index_bytes == 6 * 4 + 6 * 4 + 5 * 4
    assert cost.posting_skew == pytest.approx(4 / 3), "document frequencies 2, 4 (0 not counted): 4 / 3"
    assert (cost.doc_nnz, cost.query_nnz) == (1.5, 2.0)
    assert index_cost(sp.csr_matrix(docs), sp.csr_matrix(queries)) == cost
    dense = index_cost(np.ones((5, 8)), np.ones((2, 8)))
    assert (dense.flops, dense.posting_skew) == (8.0, 1.0), "a dense code costs D per pair"
    assert index_cost(np.zeros((3, 4)), np.ones((2, 4))).posting_skew == 1.0


def test_masking_zeroes_what_the_activity_rule_reads_as_off():
    codes = np.array([[0.1, 2.0], [-3.0, 0.05]], dtype=np.float32)
    activity = np.array([[0.0, 1.0], [0.9, 0.4]])
    out = masked(codes, activity)
    assert out.tolist() == [[0.0, 2.0], [-3.0, 0.0]] and out.dtype == np.float32
    assert sp.issparse(masked(sp.csr_matrix(codes), activity))
    assert masked(sp.csr_matrix(codes), sp.csr_matrix(activity)).toarray().tolist() == out.tolist()
    assert not masks_nothing(codes, activity)
    exact = np.array([[0.0, 2.0], [-3.0, 0.0]])
    assert masks_nothing(exact, exact != 0), "codes with exact zeros under z ≠ 0 are their own mask"
    assert masks_nothing(sp.csr_matrix(exact), (exact != 0).astype(float))
    assert not masks_nothing(sp.csr_matrix(codes), activity)


def test_a_fractional_activity_keeps_as_many_entries_per_code_as_it_counts():
    """HSVAE's E[1 − γ] and TON's γ are probabilities: a code keeps its round(Σ_d a_d) most probable entries, the
    number ``active_dims`` counts for it, even where every probability lies below 0.5 (a threshold kept none)."""
    codes = np.array([[0.3, -0.2, 0.1, 0.4], [1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]])
    activity = np.array([[0.45, 0.40, 0.30, 0.35],   # Σ = 1.5 → 2 kept: the two most probable, below 0.5 both
                         [0.10, 0.20, 0.05, 0.10],   # Σ = 0.45 → none
                         [0.25, 0.25, 0.25, 0.25]])  # Σ = 1 → 1 kept; a tie keeps the lower dimension
    assert kept(activity).tolist() == [[True, True, False, False], [False] * 4, [True, False, False, False]]
    assert masked(codes, activity).tolist() == [[0.3, -0.2, 0.0, 0.0], [0.0] * 4, [5.0, 0.0, 0.0, 0.0]]
    assert masked(codes, sp.csr_matrix(activity)).tolist() == masked(codes, activity).tolist()
    assert kept(activity).sum(axis=1).tolist() == np.floor(activity.sum(axis=1) + 0.5).tolist()
    assert not masks_nothing(codes, activity)
    binary = (np.abs(codes) > 0.25).astype(float)  # a binary reading keeps exactly its active entries
    assert kept(binary).tolist() == (binary > 0.5).tolist()
