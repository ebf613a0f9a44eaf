"""The fidelity fixes of the paper comparison, each against the reference's own computation.

Every test here fails on the harness before the fixes: TON's KL on λ-scaled slab parameters and on
the batch-mean activity, no learning-rate drop, no per-dimension KL, HSVAE's safeguards unswitchable
and the reference's one-draw sparse mean missing.
"""
from __future__ import annotations

import math

import numpy as np

import pytest
import torch

from methods.conformance import small_config, toy_data
from methods.distributions import bernoulli_kl, spike_slab_kl
from methods.registry import get_method

DATA = toy_data(0)


def build(name, **overrides):
    cls = get_method(name).load()
    torch.manual_seed(0)
    return cls(small_config(cls, overrides), DATA.vocab_size, DATA.eos_id)


def test_ton_kl_uses_unscaled_slab_parameters_and_lambda_only_in_the_sample():
    """During the warm-up (λ = 0) the official code's KL still sees μ and σ: the slab is learned against the
    pseudo-input prior from the start, while the sample carries no slab.  The old harness scaled both."""
    model = build("ton", warmup_start=0.5, warmup_end=0.9)
    model.plan_training(100)
    model.eval()
    assert model.warmup() == 0.0
    with torch.no_grad():
        torch.manual_seed(1)
        out = model.loss(DATA.eval)
        h = model.backbone.encode_hidden(DATA.eval)
        mu, logvar, active = model.recognise(h)
        w = torch.sigmoid(model.selection(h))
        w = w / w.sum(1, keepdim=True)
        mu_u, logvar_u, active_u = model.pseudo_prior()
        std, std_u = torch.exp(0.5 * logvar) + 1e-6, torch.exp(0.5 * logvar_u) + 1e-6
        expected = torch.stack([
            sum(w[b, k] * spike_slab_kl(active[b], mu[b], std[b], active_u[k], mu_u[k], std_u[k], eps=1e-6).sum()
                for k in range(w.shape[1])) for b in range(w.shape[0])]).mean()
        torch.testing.assert_close(out.terms["kl_z"], expected)
        assert (model.encode(DATA.eval, "mean") == 0).all()  # λ = 0: no slab in the codes


def test_ton_bernoulli_kl_is_per_sentence_over_the_mixture_then_averaged():
    model = build("ton", n_pseudo=2).eval()
    with torch.no_grad():  # sentences that pick different pseudo-inputs, pseudo-inputs of different activity
        model.selection.weight.normal_(0.0, 30.0)
        model.head_active.weight.normal_(0.0, 3.0)
        model.pseudo_inputs.normal_(0.0, 1.0)
        out = model.loss(DATA.eval)
        h = model.backbone.encode_hidden(DATA.eval)
        w = torch.sigmoid(model.selection(h))
        w = w / w.sum(1, keepdim=True)
        _, _, active_u = model.pseudo_prior()
        per_sentence = [model.latent_dim * bernoulli_kl((w[b] @ active_u).mean(), 0.01, eps=1e-6)
                        for b in range(w.shape[0])]
        torch.testing.assert_close(out.terms["kl_bern"], torch.stack(per_sentence).mean())
        batch_mean = model.latent_dim * bernoulli_kl((w @ active_u).mean(), 0.01, eps=1e-6)
        assert out.terms["kl_bern"] > batch_mean + 1e-3, "KL is convex: the old batch-mean version is smaller"


def test_ton_learning_rate_drops_tenfold_late_in_the_run():
    from bench.data.batches import PaddedSplit
    from bench.cells.train import train
    from tasks.corpora.synthetic import SyntheticSpec, make_synthetic

    model = build("ton", lr_drop_at=0.5)
    model.plan_training(10)
    assert [model.lr_scale(s) for s in (0, 4, 5, 9)] == [1.0, 1.0, 0.1, 0.1]
    assert build("ton", lr_drop=1.0).lr_scale(10**6) == 1.0
    seen = []
    real_step = torch.optim.Adam.step

    def spy(self, *a, **k):
        seen.append(self.param_groups[0]["lr"])
        return real_step(self, *a, **k)

    corpus = make_synthetic(SyntheticSpec(train_size=64, valid_size=0, test_size=0))
    cls = get_method("ton").load()
    model = cls(small_config(cls, {"lr_drop_at": 0.5}), corpus.vocab_size, corpus.eos_id)
    torch.optim.Adam.step = spy
    try:
        train(model, PaddedSplit(corpus.split("train")), epochs=2, batch_size=16, lr=1e-3,
              rng=np.random.default_rng(0), device=torch.device("cpu"))
    finally:
        torch.optim.Adam.step = real_step
    assert seen[:4] == [1e-3] * 4 and all(math.isclose(v, 1e-4) for v in seen[4:]) and len(seen) == 8


@pytest.mark.parametrize("name, term", [("vae", "kl"), ("mat", "kl_z"), ("hsvae", "kl_z"), ("ton", "kl_z")])
def test_every_vae_type_reports_kl_per_dimension_summing_to_its_kl_term(name, term):
    model = build(name).eval()
    torch.manual_seed(2)
    with torch.no_grad():
        out = model.loss(DATA.eval)
    assert out.kl_per_dim is not None and out.kl_per_dim.shape == (model.latent_dim,)
    torch.testing.assert_close(out.kl_per_dim.sum(), out.terms[term], rtol=1e-5, atol=1e-5)


def test_collapsed_dimensions_are_counted_in_the_record():
    from tasks.scorers import COLLAPSE_NATS
    from tasks.scoring import ScoringConfig, score

    recon = {"sentences": 2, "units": 10, "unit": "token", "sums": {"recon": 20.0, "total": 21.0},
             "kl_per_dim": [0.5, 0.001, COLLAPSE_NATS / 2, 2.0]}
    out = score({"seed": 0, "reconstruction": recon}, ScoringConfig(), per="model")
    assert out.scalars["collapsed_dims"] == 2 and out.scalars["nll_per_token"] == 2.0
    assert out.analysis["reconstruction"]["kl_per_dim"] == recon["kl_per_dim"]


def test_hsvae_safeguards_are_config_fields_with_the_reference_values_available():
    guarded, reference = build("hsvae"), build("hsvae", beta_clip=False, std_floor=0.0)
    assert guarded.config.beta_clip and guarded.config.std_floor == 1e-5
    for model in (guarded, reference):
        with torch.no_grad():
            model.head_a.bias.fill_(-50.0)  # softplus ≈ 0
            a, _, _, std = model.posterior(DATA.eval)
        assert torch.all(a >= 0.5) if model.config.beta_clip else torch.all(a < 0.5)
    with torch.no_grad():
        reference.head_std.bias.fill_(-200.0)
        assert (reference.posterior(DATA.eval)[3] == 0).all()  # no floor: the reference's std can reach 0


def test_hsvae_offers_the_reference_one_draw_sparse_mean_as_a_stochastic_mode():
    model = build("hsvae").eval()
    assert "sparse_mean_draw" in model.modes and "sparse_mean_draw" in model.stochastic_modes
    assert model.identity().headline("deterministic") == "sparse_mean"
    with torch.no_grad():
        a, b, mu, _ = model.posterior(DATA.eval)
        torch.manual_seed(3)
        z, on = model.encode_with_activity(DATA.eval, "sparse_mean_draw")
        torch.manual_seed(3)
        gamma = torch.distributions.Beta(a, b).sample()
    torch.testing.assert_close(z, (1 - gamma) * mu)
    torch.testing.assert_close(on, 1 - gamma)


def test_hsvae_activity_is_the_slab_indicator_of_the_same_draw():
    model = build("hsvae").eval()
    with torch.no_grad():
        torch.manual_seed(4)
        z, on = model.encode_with_activity(DATA.eval, "sample")
    assert set(on.unique().tolist()) <= {0.0, 1.0}
    assert bool((z[on == 0].abs() < 0.5).all()), "off entries are spike noise N(0, 0.05²)"
