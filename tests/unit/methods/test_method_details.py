"""Method-specific rules: named terms, hyperparameter errors, TON's warm-up clock, HSVAE's Beta clip."""
from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from methods.conformance import small_config, toy_data
from methods.errors import MethodError
from sparsebench.params import ConfigError
from methods.registry import get_method

DATA = toy_data(0)


def build(name, **overrides):
    cls = get_method(name).load()
    torch.manual_seed(0)
    return cls(small_config(cls, overrides), DATA.vocab_size, DATA.eos_id)


@pytest.mark.parametrize("name, terms", [
    ("hsvae", {"recon", "kl_z", "kl_gamma"}), ("mat", {"recon", "kl_z", "mmd"}), ("ton", {"recon", "kl_z", "kl_bern"}),
    ("sparsemax", {"recon"}), ("ae", {"recon"}), ("vae", {"recon", "kl"}),
])
def test_loss_terms_are_named_and_recon_is_the_summed_token_ce(name, terms):
    model = build(name).eval()
    torch.manual_seed(3)
    out = model.loss(DATA.eval)
    assert set(out.terms) == terms
    if name in ("ae", "sparsemax"):  # deterministic: recompute recon from the code
        expected = model.backbone.reconstruction(DATA.eval, model.encode(DATA.eval)).mean()
        torch.testing.assert_close(out.terms["recon"], expected)
        torch.testing.assert_close(out.total, out.terms["recon"])


def test_only_sparsemax_claims_exact_zeros():
    flags = {n: get_method(n).load().exact_zeros for n in ("hsvae", "mat", "ton", "sparsemax", "vae", "ae")}
    assert [n for n, f in flags.items() if f] == ["sparsemax"]


@pytest.mark.parametrize("name, overrides, fragment", [
    ("hsvae", {"alpha": 0.0}, "alpha=0.0"), ("hsvae", {"temperature": -1.0}, "temperature"),
    ("mat", {"gamma": 1.0}, "gamma=1.0"), ("ton", {"alpha": 0.0}, "alpha"),
    ("ton", {"warmup_start": 0.5, "warmup_end": 0.1}, "warmup_end=0.1"), ("ton", {"warmup_end": 1.5}, "warmup_end"),
    ("sparsemax", {"kappa": -2.0}, "kappa"),
])
def test_bad_hyperparameters_are_user_errors_naming_the_value(name, overrides, fragment):
    with pytest.raises((MethodError, ConfigError), match=fragment):
        build(name, **overrides)


def test_ton_warmup_ramps_on_training_steps_and_survives_save_load():
    model = build("ton", warmup_start=0.25, warmup_end=0.75)
    assert model.warmup() == 1.0, "without a run length there is no schedule"
    model.plan_training(8)
    seen = []
    model.train()
    for _ in range(8):
        seen.append(model.warmup())
        model.loss(DATA.train[0])
    assert seen == [0.0, 0.0, 0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    model.eval()
    model.loss(DATA.eval)  # evaluation does not advance the clock
    assert int(model.step) == 8
    clone = build("ton", warmup_start=0.25, warmup_end=0.75)
    clone.load_state_dict(model.state_dict())
    assert int(clone.step) == 8 and int(clone.total_steps) == 8 and clone.warmup() == 1.0


def test_ton_before_warmup_codes_carry_no_slab():
    model = build("ton", warmup_start=0.5, warmup_end=0.9)
    model.plan_training(100)
    model.eval()
    with torch.no_grad():
        assert (model.encode(DATA.eval, "mean") == 0).all()


def test_hsvae_beta_parameters_are_clipped_with_gradient():
    model = build("hsvae")
    with torch.no_grad():
        model.head_a.bias.fill_(500.0)  # softplus ≈ 500 > 100
        model.head_b.bias.fill_(-50.0)  # softplus ≈ 0 < 0.5
    a, b, _, std = model.posterior(DATA.eval)
    assert torch.all(a == 100.0) and torch.all(b == 0.5) and (std >= 1e-5).all()
    (a.sum() + b.sum()).backward()
    assert (model.head_a.bias.grad != 0).all() and (model.head_b.bias.grad != 0).all()


def test_hsvae_sparse_mean_is_expected_slab_weight_times_mu():
    model = build("hsvae").eval()
    with torch.no_grad():
        a, b, mu, _ = model.posterior(DATA.eval)
        torch.testing.assert_close(model.encode(DATA.eval, "sparse_mean"), b / (a + b) * mu)
        torch.testing.assert_close(model.encode(DATA.eval, "mean"), mu)


def test_hsvae_sample_codes_mix_spike_noise_and_slab():
    model = build("hsvae", alpha=50.0, beta=1.0).eval()
    with torch.no_grad():
        torch.manual_seed(0)
        z = model.encode(DATA.eval, "sample")
    assert (z != 0).all()  # the spike is N(0, 0.05²): never exact zeros


def test_configs_import_without_torch():
    code = ("import sys, methods.registry, methods.declare\n"
            "from methods.registry import all_methods\n"
            "[e.config for e in all_methods().values()]\n"
            "sys.exit('torch' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


@pytest.mark.parametrize("norm", ["l2", "l1"])
def test_sparsemax_code_is_kappa_times_the_projection_at_the_chosen_norm(norm):
    from entmax import sparsemax

    model = build("sparsemax", norm=norm).eval()
    with torch.no_grad():
        code = model.encode(DATA.eval)
        p = sparsemax(model.head(model.backbone.encode_hidden(DATA.eval)), dim=-1)
    kappa = model.config.latent_dim ** 0.5  # kappa = 0 means √D
    assert torch.equal(code == 0, p == 0), "the scaling keeps sparsemax's exact zeros"
    length = code.norm(p=2 if norm == "l2" else 1, dim=-1)
    torch.testing.assert_close(length, torch.full_like(length, kappa))


def test_sparsemax_l1_code_grows_toward_a_vertex_and_l2_does_not():
    """Why ``norm = "l2"`` is the default: κ·sparsemax(v) is longer the fewer coordinates it keeps
    (κ/√|S|·… up to κ at a vertex), so a decoder that wants a stronger input pulls the code one-hot,
    where sparsemax's Jacobian is 0.  Normalised to length κ, the code's length has no gradient."""
    from entmax import sparsemax

    v = torch.tensor([[0.30, 0.20, 0.15, 0.10, -0.40]], dtype=torch.float64, requires_grad=True)
    p = sparsemax(v, dim=-1)
    assert int((p > 0).sum()) == 4
    (grad_l1,) = torch.autograd.grad(p.norm(), v)
    # closed form on the support S: d‖p‖/dv = (p − mean_S p)/‖p‖, which raises the top logit's share
    s = p > 0
    expected = torch.where(s, (p - p[s].mean()) / p.norm(), torch.zeros_like(p))
    torch.testing.assert_close(grad_l1, expected)
    assert grad_l1[0, 0] > 0 > grad_l1[0, 3]
    p = sparsemax(v, dim=-1)
    (grad_l2,) = torch.autograd.grad((p / p.norm(dim=-1, keepdim=True)).norm(), v)
    torch.testing.assert_close(grad_l2, torch.zeros_like(v))
    one_hot = torch.tensor([[3.0, 0.5, 0.0, 0.0, 0.0]], dtype=torch.float64)
    jac = torch.autograd.functional.jacobian(lambda t: sparsemax(t, dim=-1), one_hot)
    assert torch.count_nonzero(jac) == 0, "at a vertex the encoder gets no gradient through the code"
