"""Throughput of every built-in method: one training step and one encode call, at smoke and cpu sizes.

Each result is measured single-threaded in units per reference step, interleaved round by round
with a fixed plain-PyTorch step, and gated against baseline.json (see conftest.py);
``benchmark.extra_info`` keeps units/s and the normalised figure for the JSON report.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from bench.data.batches import PaddedSplit
from bench.config.presets import PRESETS
from bench.cells.train import make_optimizer
from methods.registry import all_methods
from tasks.corpora.synthetic import make_synthetic

BUILTINS = sorted(n for n, e in all_methods().items() if e.origin == "built-in" and "text" in e.identity.backbones)
SIZES = ("smoke", "cpu")


@pytest.fixture(scope="module")
def corpus():
    return make_synthetic()


def build(name: str, preset: str, corpus):
    entry = all_methods()[name]
    cls = entry.load()
    sizes = {k: v for k, v in PRESETS[preset].model.items() if k in entry.hyperparameters()}
    if "k" in entry.hyperparameters():  # sparse autoencoders: a quarter of the latent dimensions active
        sizes["k"] = sizes["latent_dim"] // 4
    torch.manual_seed(0)
    model = cls(cls.Config(**sizes), corpus.vocab_size, corpus.eos_id)
    data = PaddedSplit(corpus.split("train"))
    bsz = PRESETS[preset].train["batch_size"]
    batches = [b for b in data.train_batches(bsz, np.random.default_rng(0)) if b.size == bsz][:4]
    return model, batches


@pytest.mark.parametrize("preset", SIZES)
@pytest.mark.parametrize("name", BUILTINS)
def test_train_step(gate, interleaved, corpus, name, preset):
    model, batches = build(name, preset, corpus)
    opt = make_optimizer(model, 8e-4, torch.device("cpu"))  # the training loop's optimiser
    model.train()
    it = iter(range(10**9))

    def step():
        b = batches[next(it) % len(batches)]
        loss = model.loss(b)
        opt.zero_grad(set_to_none=True)
        loss.total.backward()
        opt.step()

    tokens = float(np.mean([int(b.lengths.sum()) for b in batches]))
    gate.check(f"train[{name}-{preset}]", interleaved(step, units=tokens))


@pytest.mark.parametrize("preset", SIZES)
@pytest.mark.parametrize("name", BUILTINS)
def test_encode(gate, interleaved, corpus, name, preset):
    model, batches = build(name, preset, corpus)
    model.eval()
    cls = type(model)

    def encode():
        with torch.no_grad():
            for b in batches:
                model.encode(b, cls.default_mode)

    sentences = sum(b.size for b in batches)
    gate.check(f"encode[{name}-{preset}]", interleaved(encode, units=sentences))
