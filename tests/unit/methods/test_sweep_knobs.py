"""The knobs the sweeps added: TON's KL weight, the sparsemax autoencoder's α-entmax; MAT-VAE's KL floor."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import integrate, optimize, stats

from methods.conformance import small_config, toy_data
from methods.distributions import SPIKE_STD, spike_slab_log_prob
from methods.registry import get_method
from methods.sparsemax.model import simplex_map
from sparsebench.params import canonical

DATA = toy_data(0)


def build(name, **overrides):
    cls = get_method(name).load()
    torch.manual_seed(0)
    return cls(small_config(cls, overrides), DATA.vocab_size, DATA.eos_id)


@pytest.mark.parametrize("weight", [0.0, 0.01, 0.37])
def test_ton_kl_weight_scales_exactly_its_spike_and_slab_kl(weight):
    """total − recon − kl_bern = w · kl_z, where kl_z (and every other term) is the weight-1 model's."""
    paper, weighted = build("ton"), build("ton", kl_weight=weight)
    weighted.load_state_dict(paper.state_dict())
    batch = DATA.train[0]
    torch.manual_seed(7)
    ref = paper.loss(batch)
    torch.manual_seed(7)
    out = weighted.loss(batch)
    for term in ("recon", "kl_z", "kl_bern"):
        torch.testing.assert_close(out.terms[term], ref.terms[term], rtol=0, atol=0)
    assert ref.terms["kl_z"].item() > 1e-3, "a KL term worth scaling"
    torch.testing.assert_close(out.total - out.terms["recon"] - out.terms["kl_bern"], weight * ref.terms["kl_z"])
    torch.testing.assert_close(ref.total, ref.terms["recon"] + ref.terms["kl_z"] + ref.terms["kl_bern"])


def test_the_new_knobs_are_left_out_of_a_cell_id_at_their_defaults():
    ton, sparsemax = get_method("ton").config, get_method("sparsemax").config
    assert "kl_weight" not in canonical(ton()) and canonical(ton(kl_weight=0.01))["kl_weight"] == 0.01
    assert "entmax_alpha" not in canonical(sparsemax()) and canonical(sparsemax(entmax_alpha=1.5))["entmax_alpha"] == 1.5


def entmax_closed_form(z: np.ndarray, alpha: float) -> np.ndarray:
    """α-entmax: p_i = [(α−1)z_i − τ]_+^{1/(α−1)} with τ the root of Σ p = 1 (Peters et al. 2019)."""
    def p(tau):
        return np.maximum((alpha - 1) * z - tau, 0) ** (1 / (alpha - 1))

    top = (alpha - 1) * z.max()
    tau = optimize.brentq(lambda t: p(t).sum() - 1, top - 1, top, xtol=1e-15)
    return p(tau)


@pytest.mark.parametrize("alpha", [1.25, 1.5, 2.0, 2.5, 3.0])
def test_sparsemax_autoencoder_entmax_map_is_the_closed_form(alpha):
    torch.manual_seed(0)
    z = torch.randn(32, 16, dtype=torch.float64) * 2
    p = simplex_map(alpha)(z, dim=-1)
    for row, v in zip(p.numpy(), z.numpy()):
        np.testing.assert_allclose(row, entmax_closed_form(v, alpha), atol=1e-7)
    assert (p == 0).any(), "exact zeros for every α > 1"


def test_entmax_alpha_2_is_the_published_sparsemax_model():
    from entmax import sparsemax

    assert simplex_map(2.0) is sparsemax
    torch.manual_seed(3)
    z = torch.randn(64, 16) * 2
    support = {a: float((simplex_map(a)(z, dim=-1) > 0).sum(-1).double().mean()) for a in (1.25, 1.5, 2.0, 3.0)}
    assert support[1.25] > support[1.5] > support[2.0] > support[3.0], support


@pytest.mark.parametrize("alpha", [1.5, 3.0])
def test_sparsemax_model_codes_are_kappa_times_the_normalised_entmax_of_its_head(alpha):
    model = build("sparsemax", entmax_alpha=alpha)
    model.eval()
    with torch.no_grad():
        codes = model.encode(DATA.eval, "code")
        logits = model.head(model.backbone.encode_hidden(DATA.eval)).double().numpy()
    expected = np.stack([entmax_closed_form(v, alpha) for v in logits])
    expected *= math.sqrt(model.latent_dim) / np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(codes.numpy(), expected, atol=1e-5)


NODES, WEIGHTS = np.polynomial.legendre.leggauss(300)


def mat_kl_per_dimension(mu: float, std: float, gamma: float = 0.8) -> float:
    """KL(N(μ, σ²) ‖ γ·N(0, 0.05²) + (1−γ)·N(0, 1)) by Gauss–Legendre quadrature over μ ± 12σ (split at
    the spike), with MAT-VAE's own prior density."""
    lo, hi = mu - 12 * std, mu + 12 * std
    edges = [lo, 0.0, hi] if lo < 0 < hi else [lo, hi]
    total = 0.0
    for a, b in zip(edges[:-1], edges[1:]):
        z = (b - a) / 2 * NODES + (a + b) / 2
        log_q = stats.norm.logpdf(z, mu, std)
        log_p = spike_slab_log_prob(torch.from_numpy(z), gamma, 0.0, 1.0, eps=0.0).numpy()
        total += (b - a) / 2 * float(np.sum(WEIGHTS * np.exp(log_q) * (log_q - log_p)))
    return total


def test_the_quadrature_agrees_with_adaptive_quadrature():
    for mu, std in ((0.0, 0.05), (0.4, 0.3), (1.5, 1.0)):
        def integrand(z):
            log_q = stats.norm.logpdf(z, mu, std)
            return math.exp(log_q) * (log_q - float(np.logaddexp(math.log(0.8) + stats.norm.logpdf(z, 0, SPIKE_STD),
                                                                    math.log(0.2) + stats.norm.logpdf(z, 0, 1))))
        adaptive = integrate.quad(integrand, mu - 12 * std, mu + 12 * std, points=[0.0], limit=200)[0]
        assert mat_kl_per_dimension(mu, std) == pytest.approx(adaptive, abs=1e-9)


def test_mat_kl_floor_is_0_1885_nats_per_dimension_6_03_for_32():
    """No Gaussian posterior has a KL below ≈ 0.1885 nats per dimension to MAT-VAE's γ = 0.8 prior
    (the minimiser sits in the spike: μ = 0, σ ≈ 0.053); so 32 dimensions cost ≥ 6.03 nats even when
    the code carries nothing.  Checked from several starts (the slab has a worse local minimum)."""
    best = min((optimize.minimize(lambda x: mat_kl_per_dimension(x[0], math.exp(x[1])), x0, method="Nelder-Mead",
                                  options={"xatol": 1e-7, "fatol": 1e-10}) for x0 in
                ((0.0, math.log(SPIKE_STD)), (0.0, math.log(0.5)), (1.0, 0.0), (0.3, math.log(0.1)))),
               key=lambda r: r.fun)
    assert best.fun == pytest.approx(0.1885, abs=5e-4)
    assert abs(best.x[0]) < 1e-3 and math.exp(best.x[1]) == pytest.approx(0.053, abs=2e-3)
    assert 32 * best.fun == pytest.approx(6.03, abs=0.01)
    assert best.fun < -math.log(0.8), "a posterior exactly the spike would pay −log 0.8 = 0.223"
    # Monte Carlo at the minimiser agrees with the quadrature
    rng = np.random.default_rng(0)
    std = math.exp(best.x[1])
    z = rng.normal(best.x[0], std, 400_000)
    terms = stats.norm.logpdf(z, best.x[0], std) - spike_slab_log_prob(torch.from_numpy(z), 0.8, 0.0, 1.0,
                                                                       eps=0.0).numpy()
    assert terms.mean() == pytest.approx(best.fun, abs=4 * terms.std() / math.sqrt(len(z)) + 1e-4)
