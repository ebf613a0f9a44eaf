from __future__ import annotations

import numpy as np
import pytest
import torch

from bench.data.batches import PaddedSplit
from bench.cells.train import DivergenceError, train
from methods.base import LossOutput
from methods.vae.config import VAEConfig
from methods.vae.model import VAE
from tasks.corpora.synthetic import SyntheticSpec, make_synthetic


class ExplodingKL(VAE):
    """A VAE whose KL term turns NaN at a chosen step."""

    explode_at = 3

    def loss(self, batch):
        out = super().loss(batch)
        self.calls = getattr(self, "calls", 0) + 1
        if self.calls >= self.explode_at:
            kl = out.terms["kl"] * float("nan")
            return LossOutput(out.terms["recon"] + kl, {"recon": out.terms["recon"], "kl": kl})
        return out


class ExplodingGradient(VAE):
    def loss(self, batch):
        out = super().loss(batch)
        bad = (self.mu.weight.sum() * 0).clamp(min=0).sqrt()  # value 0, gradient inf * 0 = nan
        return LossOutput(out.total + bad, out.terms)


@pytest.mark.parametrize("cls,match", [(ExplodingKL, r"epoch 1, step 3: non-finite total=nan, kl=nan"),
                                       (ExplodingGradient, r"non-finite gradient of mu.weight")])
def test_divergence_names_the_term_and_step(cls, match):
    corpus = make_synthetic(SyntheticSpec(train_size=400))
    torch.manual_seed(0)
    model = cls(VAEConfig(embed_dim=8, hidden_dim=8, latent_dim=2), corpus.vocab_size, corpus.eos_id)
    with pytest.raises(DivergenceError, match=match):
        train(model, PaddedSplit(corpus.split("train")), epochs=1, batch_size=32, lr=1e-3,
              rng=np.random.default_rng(0), device=torch.device("cpu"))
