"""entmax's sparsemax, which the Sparsemax autoencoder relies on: a simplex projection with exact zeros."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from entmax import sparsemax
from scipy import optimize


def simplex_projection(v: np.ndarray) -> np.ndarray:
    """Closed form of Martins & Astudillo (2016): sort, find the support size k*, threshold τ."""
    u = np.sort(v)[::-1]
    cumsum = np.cumsum(u)
    k = np.arange(1, len(v) + 1)
    k_star = k[1 + k * u > cumsum].max()
    tau = (cumsum[k_star - 1] - 1) / k_star
    return np.maximum(v - tau, 0)


def brute_force_projection(v: np.ndarray) -> np.ndarray:
    """argmin ||p − v||² over the simplex by a generic constrained solver."""
    res = optimize.minimize(lambda p: ((p - v) ** 2).sum(), np.full(len(v), 1 / len(v)), jac=lambda p: 2 * (p - v),
                            bounds=[(0, None)] * len(v), constraints=[{"type": "eq", "fun": lambda p: p.sum() - 1}],
                            method="SLSQP", options={"ftol": 1e-14, "maxiter": 500})
    return res.x


@pytest.fixture
def logits():
    torch.manual_seed(0)
    return torch.randn(64, 12, dtype=torch.float64) * 2


def test_sparsemax_sums_to_one_is_nonnegative_and_has_exact_zeros(logits):
    p = sparsemax(logits, dim=-1)
    torch.testing.assert_close(p.sum(-1), torch.ones(64, dtype=torch.float64))
    assert (p >= 0).all() and (p == 0).any()


def test_sparsemax_is_the_simplex_projection(logits):
    p = sparsemax(logits, dim=-1).numpy()
    for row, v in zip(p, logits.numpy()):
        np.testing.assert_allclose(row, simplex_projection(v), atol=1e-12)
    for row, v in zip(p[:5], logits.numpy()[:5]):
        np.testing.assert_allclose(row, brute_force_projection(v), atol=1e-6)


def test_sparsemax_passes_gradcheck():
    torch.manual_seed(1)
    x = (torch.randn(4, 7, dtype=torch.float64) * 2).requires_grad_()
    assert torch.autograd.gradcheck(lambda t: sparsemax(t, dim=-1), (x,), eps=1e-6, atol=1e-5)


def test_sparsemax_jacobian_is_the_support_formula():
    v = torch.tensor([1.5, 0.2, 1.1, -1.0, 0.9], dtype=torch.float64, requires_grad=True)
    g = torch.tensor([0.3, -2.0, 1.0, 4.0, 0.5], dtype=torch.float64)
    p = sparsemax(v, dim=-1)
    p.backward(g)
    s = (p.detach() > 0).double()
    expected = s * (g - (g * s).sum() / s.sum())
    torch.testing.assert_close(v.grad, expected)
