"""The fast path computes the same function as the straightforward padded implementation."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from bench.data import PaddedSplit
from methods.backbones import make_straightforward
from methods.conformance import small_config
from methods.registry import all_methods
from tasks.corpora.synthetic import SyntheticSpec, make_synthetic

BUILTINS = sorted(n for n, e in all_methods().items() if e.origin == "built-in" and "text" in e.identity.backbones)


@pytest.mark.parametrize("name", BUILTINS)
def test_fast_loss_and_gradients_match_padded(name):
    corpus = make_synthetic(SyntheticSpec(train_size=64, min_length=2, max_length=25))
    batch = PaddedSplit(corpus.split("train")).batch(np.arange(48))
    assert batch.lengths.min() < batch.lengths.max(), "the batch must have padding for the test to mean anything"
    cls = all_methods()[name].load()
    torch.manual_seed(0)
    fast = cls(small_config(cls, {"hidden_dim": 24, "latent_dim": 6}), corpus.vocab_size, corpus.eos_id)
    slow = make_straightforward(copy.deepcopy(fast))
    results = []
    for model in (fast, slow):
        model.eval()  # deterministic parts only: same sampling noise from the same seed
        torch.manual_seed(1)
        out = model.loss(batch)
        model.zero_grad()
        out.total.backward()
        grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
        torch.manual_seed(2)
        codes = model.encode(batch, cls.default_mode)
        results.append((out, grads, codes))
    (f_out, f_grads, f_codes), (s_out, s_grads, s_codes) = results
    torch.testing.assert_close(f_out.total, s_out.total, rtol=1e-5, atol=1e-5)
    for k in f_out.terms:
        torch.testing.assert_close(f_out.terms[k], s_out.terms[k], rtol=1e-5, atol=1e-5)
    assert f_grads.keys() == s_grads.keys()
    for k in f_grads:
        torch.testing.assert_close(f_grads[k], s_grads[k], rtol=1e-4, atol=1e-6, msg=f"gradient of {k}")
    torch.testing.assert_close(f_codes, s_codes, rtol=1e-5, atol=1e-6)
