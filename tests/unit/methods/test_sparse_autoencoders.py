"""The sparse autoencoders (TopK, BatchTopK, CSR): sizes at every preset, k-exactness, AuxK against its
closed form, BatchTopK's batch-level selection and its inference threshold.

Everything here runs on hand-set tensors or a few toy batches: seconds, one thread.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from bench.config.resolve import resolve
from bench.cells.evaluate import recon_kind
from bench.config.presets import PRESETS
from methods.base import Batch
from methods.batchtopk.config import BatchTopKConfig
from methods.batchtopk.model import THRESHOLD_RATE, BatchTopK
from methods.conformance import TOY_INPUT_DIM, toy_data
from methods.csr.config import CSRConfig
from methods.errors import MethodError
from methods.declare import identity_of
from methods.topk.config import TopKConfig
from methods.topk.model import TopK
from methods.vae.model import VAE

SAES = {"topk": TopKConfig, "batchtopk": BatchTopKConfig, "csr": CSRConfig}
MINILM_DIM = 384


def embedding_batch(x: torch.Tensor) -> Batch:
    n = x.shape[0]
    return Batch(torch.zeros(n, 0, dtype=torch.long), torch.zeros(n, dtype=torch.long), None, x)


def topk(cls=TopK, input_dim: int = TOY_INPUT_DIM, **fields) -> TopK:
    config_cls = cls.Config
    return cls(config_cls(backbone="embedding", **fields), vocab_size=10, eos_id=1, input_dim=input_dim)


# ------------------------------------------------------------------------------------------ sizes

@pytest.mark.parametrize("preset", sorted(PRESETS))
@pytest.mark.parametrize("method", sorted(SAES))
def test_every_preset_gives_each_sae_k_equal_to_the_presets_latent_dim_and_a_dictionary_of_4x_the_input(preset,
                                                                                                        method):
    cls = SAES[method]
    method_cfg, _, _ = resolve(method, cls, preset, (("backbone", "embedding"),), "yahoo", identity_of(cls))
    budget = PRESETS[preset].model["latent_dim"]
    assert method_cfg["k"] == budget and method_cfg["latent_dim"] == 0  # the dictionary is left to `expansion`
    sized = cls(**method_cfg).sized_for(MINILM_DIM)  # raises if k, 4k (csr) or k_aux do not fit
    assert sized.latent_dim == 4 * max(MINILM_DIM, budget) and sized.k == budget


def test_what_makes_a_sparse_autoencoder_is_declared_on_the_method_and_read_from_there():
    """The presets give the budget to whatever fields a method declares as its dictionary and active latents
    (a plugin's own names included), and nothing to a method that does not declare itself one."""
    from dataclasses import dataclass

    from methods.declare import BackboneConfig, SparseAutoencoder, method, param

    @method("atomic", model="nowhere:Atomic", modes=("code",), default_mode="code",
            sparse_autoencoder=SparseAutoencoder(dictionary="atoms", active="on"))
    @dataclass(frozen=True)
    class AtomicConfig(BackboneConfig):
        atoms: int = param(512, ge=0)
        on: int = param(8, ge=1)

    @method("lookalike", model="nowhere:Lookalike", modes=("code",), default_mode="code")
    @dataclass(frozen=True)
    class LookalikeConfig(BackboneConfig):  # k and expansion, as TopK's, but not declared a sparse autoencoder
        k: int = param(8, ge=1)
        expansion: int = param(4, ge=1)

    cfg, _, _ = resolve("atomic", AtomicConfig, "cpu", (), "yahoo", identity_of(AtomicConfig))
    assert (cfg["atoms"], cfg["on"]) == (0, PRESETS["cpu"].model["latent_dim"])
    assert identity_of(AtomicConfig).code_budget(cfg) == cfg["on"] == 32
    other, _, _ = resolve("lookalike", LookalikeConfig, "cpu", (), "yahoo", identity_of(LookalikeConfig))
    assert other["k"] == 8 and identity_of(LookalikeConfig).code_budget(other) == other["latent_dim"] == 32
    assert all(identity_of(cls).sparse_autoencoder == SparseAutoencoder("latent_dim", "k") for cls in SAES.values())


def test_the_dictionary_is_expansion_times_the_input_never_less_than_expansion_times_k():
    assert TopKConfig().sized_for(384).latent_dim == 1536
    assert TopKConfig(expansion=8).sized_for(384).latent_dim == 3072
    assert TopKConfig(k=768).sized_for(384).latent_dim == 4 * 768  # CSR's 4k latents always exist
    assert TopKConfig(hidden_dim=256).sized_for(None).latent_dim == 1024  # text backbone: × the GRU state
    explicit = TopKConfig(latent_dim=100, k=10)
    assert explicit.sized_for(384) is explicit


def test_a_dictionary_smaller_than_k_or_4k_is_refused_with_what_would_work():
    with pytest.raises(MethodError, match=r"k=32 .* at most the dictionary size latent_dim=16.*--set topk\.k=4"):
        TopKConfig(latent_dim=16).sized_for(384)
    with pytest.raises(MethodError, match=r"4·k = 128 .* latent_dim=100"):
        CSRConfig(latent_dim=100, k=32).sized_for(384)
    CSRConfig(latent_dim=128, k=32).sized_for(384)  # exactly 4k is enough


def test_the_model_builds_its_dictionary_from_the_input_dim():
    model = topk(input_dim=10, k=3)
    assert model.latent_dim == 40 and model.config.latent_dim == 40
    assert model.head.weight.shape == (40, 10) and model.idle_steps.shape == (40,)


def test_recon_kind_names_the_reconstruction_term():
    assert recon_kind(topk(k=2)) == "squared_error"
    text = TopK(TopKConfig(embed_dim=8, hidden_dim=8, k=2), vocab_size=10, eos_id=1)
    assert recon_kind(text) == "token_ce"
    vae = VAE(VAE.Config(backbone="embedding", hidden_dim=8, latent_dim=4), 10, 1, input_dim=TOY_INPUT_DIM)
    assert recon_kind(vae) == "gaussian_nll"


# ------------------------------------------------------------------------------------------- TopK

def test_topk_codes_have_exactly_k_nonzeros_at_the_k_largest_preactivations():
    torch.manual_seed(0)
    model = topk(latent_dim=48, k=5).eval()
    with torch.no_grad():
        model.head.bias.fill_(10.0)  # every pre-activation positive: the ReLU removes none of the k
    x = torch.randn(64, TOY_INPUT_DIM)
    batch = embedding_batch(x)
    z = model.encode(batch)
    assert ((z != 0).sum(1) == 5).all()
    pre = model.preactivations(batch)
    expected = pre.topk(5, dim=1).indices.sort(1).values
    assert torch.equal((z != 0).nonzero()[:, 1].view(64, 5), expected)
    np.testing.assert_allclose(z.gather(1, expected).detach(), pre.gather(1, expected).detach())


def test_topk_keeps_at_most_k_and_drops_only_non_positive_preactivations():
    torch.manual_seed(1)
    model = topk(latent_dim=48, k=6).eval()
    batch = embedding_batch(torch.randn(200, TOY_INPUT_DIM))
    pre = model.preactivations(batch)
    nonzero = (model.encode(batch) != 0).sum(1)
    assert torch.equal(nonzero, (pre.topk(6, dim=1).values > 0).sum(1))
    assert nonzero.max() == 6


def test_auxk_matches_its_closed_form_on_a_hand_set_case():
    model = topk(input_dim=2, latent_dim=3, k=1, k_aux=2, dead_steps=1).train()
    with torch.no_grad():  # decoder columns e1, e2, (e1 + e2)/√2 (unit norm already)
        model.backbone.decoder[0].weight.copy_(torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]))
    model.idle_steps.copy_(torch.tensor([0, 5, 5]))  # latents 1 and 2 are dead
    pre = torch.tensor([[0.5, -1.0, 2.0]])
    e = torch.tensor([[1.0, 2.0]])
    # the top k_aux = 2 dead pre-activations are latent 2 (2.0) and latent 1 (-1.0, removed by the ReLU):
    # ê = 2 · (1, 1)/√2, and the loss is ‖e − ê‖² / ‖e‖²
    expected = ((1 - math.sqrt(2)) ** 2 + (2 - math.sqrt(2)) ** 2) / 5.0
    assert float(model.aux_loss(pre, e).detach()) == pytest.approx(expected, rel=1e-6)
    # the live latent 0 (pre 0.5) is never used, however large
    assert float(model.aux_loss(torch.tensor([[9.0, -1.0, 2.0]]), e).detach()) == pytest.approx(expected, rel=1e-6)

    model.idle_steps.zero_()
    assert model.aux_loss(pre, e) is None  # nothing dead: no AuxK term
    model.idle_steps.fill_(5)
    assert model.eval().aux_loss(pre, e) is None  # evaluation: no AuxK term


def test_auxk_gives_dead_latents_a_gradient_the_main_loss_does_not():
    torch.manual_seed(0)
    x = torch.randn(32, TOY_INPUT_DIM)

    def encoder_grad(aux_weight: float) -> torch.Tensor:
        torch.manual_seed(0)
        model = topk(latent_dim=48, k=2, k_aux=8, dead_steps=1, aux_weight=aux_weight).train()
        model.idle_steps.fill_(10)  # every latent dead before this step ...
        out = model.loss(embedding_batch(x))  # ... except those this batch fires (observe() resets them)
        assert ("aux" in out.terms) == (aux_weight > 0)
        out.total.backward()
        return model.head.weight.grad.norm(dim=1), model.idle_steps >= 1

    grad_main, dead = encoder_grad(0.0)
    grad_aux, dead_again = encoder_grad(1 / 32)
    assert torch.equal(dead, dead_again) and dead.sum() > 8
    assert torch.all(grad_main[dead] == 0)  # the top-k loss never reaches a latent that did not fire
    assert (grad_aux[dead] > 0).sum() >= 8  # AuxK reaches at least k_aux of them


def _weak_latents_that_fire_after_training(aux_weight: float) -> float:
    """Half the dictionary starts with encoder rows ×0.01: they never win the top-k, so the top-k loss
    never reaches them; the fraction of them that fire on the training data after 320 steps."""
    torch.manual_seed(0)
    data = toy_data(0, n_batches=16, batch_size=32)
    model = topk(latent_dim=48, k=2, k_aux=32, dead_steps=5, aux_weight=aux_weight)
    with torch.no_grad():
        model.head.weight[24:] *= 0.01
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(20):
        for batch in data.train:
            opt.zero_grad()
            model.loss(batch).total.backward()
            opt.step()
    model.eval()
    fired = torch.zeros(48, dtype=torch.bool)
    with torch.no_grad():
        for batch in data.train:
            fired |= (model.encode(batch) != 0).any(0)
    return fired[24:].float().mean().item()


def test_auxk_revives_latents_the_topk_loss_never_reaches():
    assert _weak_latents_that_fire_after_training(0.0) == 0.0  # without AuxK they stay dead: no gradient
    assert _weak_latents_that_fire_after_training(1 / 32) >= 0.25  # Gao et al.'s α = 1/32 revives them


# -------------------------------------------------------------------------------------- BatchTopK

def test_batchtopk_keeps_k_times_batch_activations_over_the_whole_batch():
    model = topk(BatchTopK, latent_dim=16, k=3).train()
    torch.manual_seed(0)
    pre = torch.rand(8, 16) + 0.1  # all positive
    pre[0] += 5.0  # one sentence with much larger activations takes more of the batch's budget
    z = model.sparsify(pre)
    per_code = (z != 0).sum(1)
    assert int(per_code.sum()) == 3 * 8
    assert per_code[0] == 16 and per_code[1:].sum() == 8  # adaptive: not k per code
    kept = pre.flatten().topk(24).values
    assert torch.equal(z[z != 0].sort().values, kept.sort().values)


def test_batchtopk_threshold_is_the_running_mean_of_the_smallest_kept_activation():
    model = topk(BatchTopK, latent_dim=4, k=1).train()
    assert not bool(model.threshold_set)
    model.observe(torch.tensor([[0.0, 2.0, 0.0, 0.0], [0.5, 0.0, 0.0, 0.0]]))
    assert bool(model.threshold_set) and float(model.threshold) == pytest.approx(0.5)  # the first batch sets it
    model.observe(torch.tensor([[0.0, 0.0, 3.0, 0.0], [0.0, 1.5, 0.0, 0.0]]))
    assert float(model.threshold) == pytest.approx(0.5 + THRESHOLD_RATE * (1.5 - 0.5))


def test_batchtopk_inference_uses_the_threshold_and_a_code_does_not_depend_on_its_batch():
    torch.manual_seed(0)
    data = toy_data(0, n_batches=12, batch_size=32)
    model = topk(BatchTopK, latent_dim=48, k=4)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for batch in data.train:
        opt.zero_grad()
        model.loss(batch).total.backward()
        opt.step()
    assert bool(model.threshold_set) and float(model.threshold) > 0  # estimated during training
    model.eval()
    batch = data.eval
    pre = model.preactivations(batch)
    z = model.encode(batch)
    expected = torch.relu(pre) * (pre > model.threshold)
    torch.testing.assert_close(z, expected)
    for i in (0, 7, 31):  # one sentence alone encodes as it does among 32 others
        single = embedding_batch(batch.inputs[i:i + 1])
        torch.testing.assert_close(model.encode(single), z[i:i + 1])
    mean_l0 = float((z != 0).sum(1).float().mean())
    assert 1.0 <= mean_l0 <= 16.0, mean_l0  # the threshold keeps about k per code on average
    with torch.no_grad():  # in training mode the selection is the batch's: a sentence alone keeps k
        model.train()
        assert int((model.sparsify(model.preactivations(single)) != 0).sum()) == 4


# -------------------------------------------------------------------------------------------- CSR

def test_csr_codes_are_k_sparse_and_a_large_k_aux_fits_a_small_dictionary():
    pytest.importorskip("sentence_transformers", reason="csr needs sentence-transformers (pip install "
                        "'sparsebench[embed]')")
    from methods.csr.model import CSR

    torch.manual_seed(0)
    model = CSR(CSRConfig(k=3), vocab_size=10, eos_id=1, input_dim=TOY_INPUT_DIM)
    assert model.latent_dim == 4 * TOY_INPUT_DIM and model.backbone.sae.k_aux == 4 * TOY_INPUT_DIM  # 512 capped
    assert recon_kind(model) == "squared_error"
    data = toy_data(0, n_batches=4, batch_size=16)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for batch in data.train:
        opt.zero_grad()
        out = model.loss(batch)
        assert torch.isfinite(out.total)
        out.total.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        z = model.encode(data.eval)
    assert z.shape == (16, 48) and int((z != 0).sum(1).max()) <= 3 and float((z != 0).sum(1).float().mean()) > 2


def test_an_mlp_decoder_trains_without_auxk():
    """AuxK needs a decoder column per latent: with ``embed_layers > 0`` it is off, not a crash."""
    torch.manual_seed(0)
    model = topk(latent_dim=48, k=2, embed_layers=1, hidden_dim=16, dead_steps=1).train()
    data = toy_data(0, n_batches=3, batch_size=16)
    model.idle_steps.fill_(10)
    for batch in data.train:
        out = model.loss(batch)
        assert "aux" not in out.terms and torch.isfinite(out.total)
        out.total.backward()


def test_a_plugin_declares_itself_a_sparse_autoencoder_on_its_class():
    from methods.base import SparseAutoencoder
    from methods.topk.model import TopK

    class Plugin(TopK):
        name = "plugin-sae"
        sparse_autoencoder = SparseAutoencoder(dictionary="latent_dim", active="k")

    class Dense(VAE):
        name = "plugin-dense"

    assert Plugin.identity().sparse_autoencoder == SparseAutoencoder("latent_dim", "k")
    assert Plugin.identity().code_budget({"latent_dim": 1536, "k": 24}) == 24
    assert Dense.identity().sparse_autoencoder is None and Dense.identity().code_budget({"latent_dim": 16}) == 16
