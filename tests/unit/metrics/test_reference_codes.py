"""Reference codes (tasks.references): sparse scoring equals the dense scorers, projections have the asked size."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from tasks.probes import logistic_probe, probe_sweep
from tasks.references import (pca_codes, score_codes, sparse_activity, sparse_class_activation, sparse_sparsity,
                              svd_codes, tfidf_codes)
from tasks.scorers import _activity, _class_activation, _sparsity
from tasks.scoring import ScoringConfig


def _sparse_codes(seed: int = 0, n: int = 60, d: int = 12) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.exponential(size=(n, d)) * (rng.random((n, d)) < 0.3)
    x[3] = 0.0  # an all-zero code: left out of the Average Hoyer and counted
    x[:, 5] = 0.0  # a dimension never used on this split: constant, dropped before normalising
    return x


def test_sparse_sparsity_activity_and_class_activation_equal_the_dense_scorers():
    dense = _sparse_codes()
    labels = np.arange(len(dense)) % 3
    x = sp.csr_matrix(dense)
    x[0, 0] = 0.0  # an explicitly stored zero is still a zero entry
    x = sp.csr_matrix(x)
    dense[0, 0] = 0.0
    want = _sparsity({"test_codes": dense}, None).scalars
    got = sparse_sparsity(x).scalars
    assert got.keys() == want.keys()
    for k in want:
        assert got[k] == pytest.approx(want[k], rel=1e-9, abs=1e-12), k
    assert got["hoyer_dropped_dims"] == 1 and got["hoyer_zero_codes"] >= 1
    activity = (dense != 0).astype(np.float32)
    active = (x != 0).astype(np.float64).tocsr()
    want_a = _activity({"test_activity": activity}, None).scalars
    assert sparse_activity(active).scalars == pytest.approx(want_a)
    want_c = _class_activation({"test_activity": activity, "test_labels": labels}, None)
    got_c = sparse_class_activation(active, labels)
    assert got_c.scalars == pytest.approx(want_c.scalars)
    np.testing.assert_allclose(got_c.analysis["kl"], want_c.analysis["kl"], rtol=1e-12)


def _classes(seed: int, n: int, d: int = 20) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    return _sparse_codes(seed, n, d) + (y[:, None] == np.arange(d) % 3) * rng.exponential(size=(n, d)), y


def test_the_probe_on_sparse_codes_is_the_dense_probe():
    """Scaling without centring (sparse) and with it (dense) is the same model, the intercept being unpenalised:
    solved tightly, the two fits agree; at the probe's tolerance (1e-4) they differ by at most a test point or two."""
    (x, y), (tx, ty) = _classes(2, 200), _classes(3, 100)
    a = logistic_probe(x, y, tx, ty, tol=1e-10, max_iter=10000)
    b = logistic_probe(sp.csr_matrix(x), y, sp.csr_matrix(tx), ty, tol=1e-10, max_iter=10000)
    assert a.accuracy == b.accuracy and a.macro_f1 == pytest.approx(b.macro_f1, abs=1e-12)
    a, b = logistic_probe(x, y, tx, ty), logistic_probe(sp.csr_matrix(x), y, sp.csr_matrix(tx), ty)
    assert abs(a.accuracy - b.accuracy) <= 0.02
    fixed = dict(sizes=(10, None), repeats=2, tol=1e-10, max_iter=10000, cv_C=None)
    rows = probe_sweep(sp.csr_matrix(x), y, sp.csr_matrix(tx), ty, **fixed)
    dense_rows = probe_sweep(x, y, tx, ty, **fixed)
    assert [r.accuracies for r in rows] == [r.accuracies for r in dense_rows]
    # with the inner CV, equal inner accuracies (multiples of 1/30 at 10 per class) can fall to another C of the
    # grid when the solver's last digits differ: the same rule, a test point or three apart
    rows = probe_sweep(sp.csr_matrix(x), y, sp.csr_matrix(tx), ty, sizes=(10, None), repeats=2)
    dense_rows = probe_sweep(x, y, tx, ty, sizes=(10, None), repeats=2)
    assert np.allclose([r.accuracy_mean for r in rows], [r.accuracy_mean for r in dense_rows], atol=0.03)


def test_score_codes_sparse_and_dense_agree_on_every_shared_metric():
    dense = _sparse_codes(4, 90, 10)
    labels = np.arange(90) % 3
    cfg = ScoringConfig(probe_sizes="5,all", probe_repeats=2)
    a = score_codes(dense, labels, dense, labels, seed=3, config=cfg, exact_zeros=True)
    b = score_codes(sp.csr_matrix(dense), labels, sp.csr_matrix(dense), labels, seed=3, config=cfg, exact_zeros=True)
    assert a.scalars.keys() == b.scalars.keys()
    for k in a.scalars:  # the probe: same model, up to lbfgs's tolerance (see the test above)
        tol = 0.03 if k.startswith("probe_") and "unconverged" not in k and "size" not in k else 1e-12
        assert b.scalars[k] == pytest.approx(a.scalars[k], rel=1e-9, abs=tol), k
    assert b.analysis["class_activation"]["profile"] is None  # [C, vocabulary] is not stored, and says so
    assert "profile_omitted" in b.analysis["class_activation"]


def test_tfidf_fits_its_vocabulary_on_the_training_split_only():
    train = [np.array([1, 2, 2]), np.array([2, 3])]
    test = [np.array([3, 9, 9])]  # 9 never occurs in training: no column
    tr, te, info = tfidf_codes(train, test)
    assert tr.shape == (2, 3) and te.shape == (1, 3) and info["features"] == 3
    assert sp.issparse(tr) and te.nnz == 1
    np.testing.assert_allclose(sp.linalg.norm(tr, axis=1), 1.0)  # l2-normalised rows
    # token 2 occurs in both training documents: idf = ln(3/3) + 1 = 1; token 1 in one: ln(3/2) + 1
    row = tr[0].toarray().ravel()
    tf_idf = np.array([1 * (np.log(3 / 2) + 1), 2 * 1.0, 0.0])
    np.testing.assert_allclose(row, tf_idf / np.linalg.norm(tf_idf))


def test_svd_and_pca_have_the_latent_size_and_are_seeded():
    rng = np.random.default_rng(0)
    x = sp.random(80, 40, density=0.2, random_state=0, format="csr")
    for d in (2, 7):
        tr, te, info = svd_codes(x, x[:10], d, seed=0)
        assert tr.shape == (80, d) and te.shape == (10, d) and info["components"] == d
    np.testing.assert_array_equal(svd_codes(x, x, 5, seed=1)[0], svd_codes(x, x, 5, seed=1)[0])
    tr, _, info = svd_codes(x, x, 40, seed=0)  # 40 words: at most 39 components, and the record says so
    assert tr.shape == (80, 39) and info["components"] == 39 and info["requested_components"] == 40
    with pytest.raises(ValueError, match="at least 2 TF-IDF features"):
        svd_codes(x[:, :1], x[:, :1], 4, seed=0)
    e = rng.normal(size=(50, 12)).astype(np.float32)
    tr, te, dec_tr, dec_te, info = pca_codes(e, e[:5], 4, seed=0)
    assert tr.shape == (50, 4) and te.shape == (5, 4) and dec_te.shape == (5, 12)
    assert 0 < info["explained_variance_ratio"] < 1
    full = pca_codes(e, e, 12, seed=0)[3]
    np.testing.assert_allclose(full, e, atol=1e-4)  # all components: the reconstruction is the input
