from __future__ import annotations

import pytest
import torch

import methods.fused_ce as fused
from methods.fused_ce import linear_cross_entropy


@pytest.mark.parametrize("rows", [1, 7, 2500])  # one chunk, a partial one, several
def test_same_values_and_gradients_as_cross_entropy(rows, monkeypatch):
    monkeypatch.setattr(fused, "CHUNK_ROWS", 1000)
    torch.manual_seed(0)
    h = torch.randn(rows, 16, requires_grad=True)
    w = (torch.randn(50, 16) * 0.3).requires_grad_()
    b = torch.randn(50, requires_grad=True)
    t = torch.randint(0, 50, (rows,))
    upstream = torch.rand(rows)
    ours = linear_cross_entropy(h, w, b, t)
    (ours * upstream).sum().backward()
    got = [p.grad.clone() for p in (h, w, b)]
    for p in (h, w, b):
        p.grad = None
    ref = torch.nn.functional.cross_entropy(h @ w.t() + b, t, reduction="none")
    (ref * upstream).sum().backward()
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-5)
    for g, p in zip(got, (h, w, b)):
        torch.testing.assert_close(g, p.grad, rtol=1e-5, atol=1e-5)
    with torch.no_grad():
        torch.testing.assert_close(linear_cross_entropy(h, w, b, t), ref, rtol=1e-5, atol=1e-5)


def test_gradcheck_in_double(monkeypatch):
    monkeypatch.setattr(fused, "CHUNK_ROWS", 3)
    torch.manual_seed(1)
    h = torch.randn(8, 5, dtype=torch.float64, requires_grad=True)
    w = torch.randn(6, 5, dtype=torch.float64, requires_grad=True)
    b = torch.randn(6, dtype=torch.float64, requires_grad=True)
    t = torch.randint(0, 6, (8,))
    assert torch.autograd.gradcheck(lambda h, w, b: fused._LinearCrossEntropy.apply(h, w, b, t), (h, w, b))
