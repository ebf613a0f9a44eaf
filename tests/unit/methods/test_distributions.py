"""The shared probability pieces against closed forms, numerical integration and simulation."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from methods.distributions import (SPIKE_STD, _IMQKernelSum, bernoulli_kl, beta_kl, gradient_preserving_clamp,
                                   hard_binary_concrete, imq_kernel, imq_mmd, sample_spike_slab_prior,
                                   spike_slab_kl, spike_slab_log_prob)


@pytest.mark.parametrize("eps", [0.0, 1e-5])
def test_spike_slab_log_density_is_the_mixture(eps):
    rng = np.random.default_rng(0)
    z, gamma = rng.normal(size=50) * 1.5, rng.uniform(0.01, 0.99, 50)
    mu, std = rng.normal(size=50), rng.uniform(0.2, 2.0, 50)
    expected = np.log((gamma + eps) * stats.norm.pdf(z, 0, SPIKE_STD) + (1 - gamma + eps) * stats.norm.pdf(z, mu, std))
    got = spike_slab_log_prob(*(torch.tensor(v) for v in (z, gamma, mu, std)), eps=eps)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10, atol=1e-10)


def test_spike_slab_log_density_is_finite_at_gamma_0_and_1():
    z = torch.tensor([0.0, 3.0, -30.0], dtype=torch.float64)
    for g in (0.0, 1.0):
        assert torch.isfinite(spike_slab_log_prob(z, torch.full_like(z, g), 0.5, 1.0, eps=1e-5)).all()


def test_beta_kl_matches_torch_distributions():
    a = torch.tensor([0.5, 1.0, 3.0, 20.0, 100.0], dtype=torch.float64)
    b = torch.tensor([2.0, 0.7, 3.0, 5.0, 0.5], dtype=torch.float64)
    got = beta_kl(a, b, 4.0, 1.0)
    ref = torch.distributions.kl_divergence(torch.distributions.Beta(a, b), torch.distributions.Beta(
        torch.full_like(a, 4.0), torch.full_like(b, 1.0)))
    torch.testing.assert_close(got, ref, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("a, b, alpha, beta", [(2.0, 3.0, 4.0, 1.0), (0.8, 1.5, 1.0, 1.0), (5.0, 5.0, 30.0, 10.0)])
def test_beta_kl_matches_numerical_integration(a, b, alpha, beta):
    p, q = stats.beta(a, b), stats.beta(alpha, beta)
    numeric, _ = integrate.quad(lambda x: p.pdf(x) * (p.logpdf(x) - q.logpdf(x)), 0, 1, limit=200)
    got = float(beta_kl(torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64), alpha, beta))
    assert got == pytest.approx(numeric, rel=1e-6, abs=1e-8)
    assert got >= 0


def test_gradient_preserving_clamp_clamps_forward_and_passes_gradient():
    x = torch.tensor([0.1, 1.0, 500.0], requires_grad=True)
    y = gradient_preserving_clamp(x, 0.5, 100.0)
    assert y.tolist() == [0.5, 1.0, 100.0]
    (y * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [1.0, 2.0, 3.0]


def test_hard_binary_concrete_is_exactly_binary_with_straight_through_gradients():
    torch.manual_seed(0)
    prob = torch.full((20000,), 0.3, requires_grad=True)
    s = hard_binary_concrete(prob, 0.5, eps=1e-5)
    assert set(s.detach().unique().tolist()) == {0.0, 1.0}
    assert s.detach().mean().item() == pytest.approx(0.3, abs=0.015)  # P(s = 1) = γ for logistic noise
    s.sum().backward()
    assert torch.isfinite(prob.grad).all() and (prob.grad != 0).any()
    assert prob.grad.sum() > 0  # raising γ raises the relaxed sample


def _naive_imq(x, y, scales):
    sq = (x[:, None, :] - y[None, :, :]) ** 2
    return sum((2 * s / (2 * s + sq)).sum(-1) for s in scales)


def test_imq_kernel_equals_naive_formula_in_blocks():
    torch.manual_seed(0)
    x, y = torch.randn(7, 13, dtype=torch.float64), torch.randn(5, 13, dtype=torch.float64)
    scales = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
    ref = _naive_imq(x, y, scales)
    for max_elements in (1, 70, 10 ** 9):  # block of 1 dimension, of 2, and all at once
        torch.testing.assert_close(imq_kernel(x, y, max_elements=max_elements), ref)


def test_imq_kernel_backward_passes_gradcheck():
    torch.manual_seed(0)
    x = torch.randn(4, 5, dtype=torch.float64, requires_grad=True)
    y = torch.randn(3, 5, dtype=torch.float64, requires_grad=True)
    c = torch.tensor([0.2, 1.0, 10.0], dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda a, b: _IMQKernelSum.apply(a, b, c, 2), (x, y))


def test_mmd_near_zero_for_one_distribution_and_positive_for_two():
    torch.manual_seed(0)
    same = [imq_mmd(torch.randn(256, 16), torch.randn(256, 16)).item() for _ in range(5)]
    spike_slab = sample_spike_slab_prior((256, 16), 0.8)
    different = imq_mmd(torch.randn(256, 16), spike_slab).item()
    shifted = imq_mmd(torch.randn(256, 16) + 0.5, torch.randn(256, 16)).item()
    assert abs(np.mean(same)) < 0.05 and max(abs(v) for v in same) < 0.1
    assert different > 1.0 and shifted > 0.5
    assert different > 20 * max(abs(v) for v in same)


def test_mmd_gradient_reaches_posterior_samples():
    torch.manual_seed(0)
    z = torch.randn(32, 8, requires_grad=True)
    imq_mmd(z, sample_spike_slab_prior((32, 8), 0.8)).backward()
    assert torch.isfinite(z.grad).all() and (z.grad != 0).any()


def test_spike_slab_prior_samples_have_the_right_spike_fraction():
    torch.manual_seed(0)
    z = sample_spike_slab_prior((100000,), 0.8)
    assert (z.abs() < 4 * SPIKE_STD).float().mean().item() == pytest.approx(0.8 + 0.2 * 0.16, abs=0.01)


def test_bernoulli_kl_matches_closed_form_and_is_finite_at_the_edges():
    p, q = torch.tensor([0.1, 0.5, 0.9], dtype=torch.float64), 0.3
    exact = p * torch.log(p / q) + (1 - p) * torch.log((1 - p) / (1 - q))
    torch.testing.assert_close(bernoulli_kl(p, q, eps=0.0), exact)
    edge = bernoulli_kl(torch.tensor([0.0, 1.0]), 0.01, eps=1e-6)
    assert torch.isfinite(edge).all() and edge[1] > 4  # ≈ log(1/0.01)


def test_vsc_spike_slab_kl_matches_monte_carlo():
    gq, mq, sq = 0.7, 0.4, 0.6
    gp, mp, sp = 0.2, -0.3, 1.3
    exact = float(spike_slab_kl(*(torch.tensor(v, dtype=torch.float64) for v in (gq, mq, sq, gp, mp, sp)), eps=0.0))
    # KL of mixed discrete/continuous laws: the atom at 0 contributes (1−γq)·log((1−γq)/(1−γp)),
    # slab draws log(γq N_q(z) / (γp N_p(z))); estimate by sampling from q.
    rng = np.random.default_rng(0)
    n = 400000
    active = rng.random(n) < gq
    z = rng.normal(mq, sq, n)
    log_ratio = np.where(active, np.log(gq) + stats.norm.logpdf(z, mq, sq) - np.log(gp) - stats.norm.logpdf(z, mp, sp),
                         np.log(1 - gq) - np.log(1 - gp))
    mc, se = log_ratio.mean(), log_ratio.std() / math.sqrt(n)
    assert abs(exact - mc) < 4 * se + 1e-3
    assert exact > 0.1


def test_vsc_spike_slab_kl_is_zero_between_identical_laws():
    t = torch.tensor
    assert float(spike_slab_kl(t(0.3), t(0.5), t(0.8), t(0.3), t(0.5), t(0.8), eps=1e-6)) == pytest.approx(0, abs=1e-6)
