from __future__ import annotations

import numpy as np
import torch

from bench.data.batches import PaddedSplit
from bench.cells.train import train
from methods.vae.config import VAEConfig
from methods.vae.model import VAE
from tasks.corpora.synthetic import SyntheticSpec, make_synthetic


def test_synthetic_is_deterministic_and_structured():
    a, b = make_synthetic(), make_synthetic()
    assert a.checksum == b.checksum
    assert make_synthetic(SyntheticSpec(seed=1)).checksum != a.checksum
    tr = a.split("train")
    assert np.bincount(tr.labels).tolist() == [1000] * 4
    assert all(tr.sentence(i)[-1] == a.eos_id for i in range(50))
    # topical words of class c occur mostly in sentences of class c
    first_topic = a.vocab.index("c0w0")
    words_per_class = 40
    hits = np.zeros((4, 4))
    for i in range(len(tr)):
        ids = tr.sentence(i)
        topic = ids[ids >= first_topic]
        np.add.at(hits[tr.labels[i]], (topic - first_topic) // words_per_class, 1)
    share = np.diag(hits) / hits.sum(1)
    assert (share > 0.85).all()


def test_training_lowers_the_loss_and_is_bitwise_repeatable():
    corpus = make_synthetic(SyntheticSpec(train_size=400))
    data = PaddedSplit(corpus.split("train"))

    def once():
        torch.manual_seed(0)
        model = VAE(VAEConfig(embed_dim=16, hidden_dim=32, latent_dim=4), corpus.vocab_size, corpus.eos_id)
        log = train(model, data, epochs=3, batch_size=32, lr=3e-3, rng=np.random.default_rng(0),
                    device=torch.device("cpu"))
        return log, model

    log, model = once()
    first, last = log.epoch_losses[0]["total"], log.epoch_losses[-1]["total"]
    assert last < first - 1.0
    log2, model2 = once()
    assert log.epoch_losses == log2.epoch_losses
    for p, q in zip(model.parameters(), model2.parameters()):
        assert torch.equal(p, q)


def test_padded_split_round_trips_sentences():
    corpus = make_synthetic(SyntheticSpec(train_size=50))
    split = corpus.split("train")
    data = PaddedSplit(split)
    batch = data.batch(np.array([3, 7, 11]))
    for row, i in enumerate([3, 7, 11]):
        n = int(batch.lengths[row])
        assert batch.tokens[row, :n].tolist() == split.sentence(i).tolist()
        assert (batch.tokens[row, n:] == 0).all()


def test_training_loop_announces_the_run_length_to_the_method():
    from methods.ton.config import TONConfig
    from methods.ton.model import TON as VSC

    corpus = make_synthetic(SyntheticSpec(train_size=100))
    data = PaddedSplit(corpus.split("train"))
    torch.manual_seed(0)
    model = VSC(TONConfig(embed_dim=8, hidden_dim=8, latent_dim=4, n_pseudo=2, pseudo_length=3), corpus.vocab_size,
                corpus.eos_id)
    log = train(model, data, epochs=2, batch_size=16, lr=1e-3, rng=np.random.default_rng(0),
                device=torch.device("cpu"))
    assert int(model.total_steps) == log.steps == 2 * 7  # 100 sentences in batches of 16
    assert int(model.step) == log.steps and model.warmup() == 1.0


def test_training_curves_do_not_change_the_trained_model():
    """Scoring on the way draws from torch's generator (stochastic modes); it must leave it as it found it."""
    import torch

    from bench.cells.method import MethodCell
    from bench.cells.protocol import CellRun
    from bench.config.spec import RunSpec

    base = (("epochs", "2"), ("max_train_sentences", "300"), ("probe_sizes", "all"), ("probe_C", "0.3"))
    plain_run = MethodCell.resolve(RunSpec("hsvae", "synthetic", 0, "smoke", base)).run(CellRun())
    curved_run = MethodCell.resolve(RunSpec("hsvae", "synthetic", 0, "smoke",
                                            base + (("curve_every", "1"),))).run(CellRun())
    plain, curved = plain_run.record.to_json(), curved_run.record.to_json()
    assert plain["status"] == curved["status"] == "ok"
    assert [p["epoch"] for p in curved["metrics"]["curve"]] == [1, 2] and plain["metrics"]["curve"] == []
    assert {"probe_accuracy", "active_dims", "kl", "collapsed_dims", "mode"} <= set(curved["metrics"]["curve"][0])
    a = torch.load(__import__("io").BytesIO(plain_run.weights), weights_only=True)
    b = torch.load(__import__("io").BytesIO(curved_run.weights), weights_only=True)
    assert all(torch.equal(a[k], b[k]) for k in a), "a run with curves trains exactly the same model"
    assert plain["metrics"]["train_loss"] == curved["metrics"]["train_loss"]
    last = curved["metrics"]["curve"][-1]  # the run's own probe (C = 0.3) and seed: the record's number
    assert last["probe_accuracy"] == curved["metrics"]["modes"][last["mode"]]["probe_accuracy"]


def test_kl_warmup_ramps_every_term_but_the_reconstruction_by_hand_computed_weights():
    """64 sentences in batches of 16 = 4 steps an epoch, 2 epochs, kl_warmup = 0.5: the weights of steps
    0..3 are 0, 1/4, 1/2, 3/4 (mean 3/8), then 1.  A loss of recon 10 + regulariser 2 is logged as
    10 + 2 · 3/8 = 10.75 in epoch 1 and 12 in epoch 2; without warm-up 12 in both; over all 8 steps
    (kl_warmup = 1) the weights are s/8, whose means are 6/32 and 22/32."""
    from methods.base import LossOutput

    class Fixed(VAE):
        def loss(self, batch):
            zero = self.mu.weight.sum() * 0
            return LossOutput(zero + 12.0, {"recon": zero + 10.0, "kl": zero + 2.0})

    corpus = make_synthetic(SyntheticSpec(train_size=64))
    data = PaddedSplit(corpus.split("train"))
    model = Fixed(VAEConfig(embed_dim=4, hidden_dim=4, latent_dim=2), corpus.vocab_size, corpus.eos_id)
    run = lambda f: train(model, data, epochs=2, batch_size=16, lr=1e-3, rng=np.random.default_rng(0),  # noqa: E731
                          device=torch.device("cpu"), kl_warmup=f)
    assert [e["total"] for e in run(0.5).epoch_losses] == [10.75, 12.0]
    assert [e["total"] for e in run(0.0).epoch_losses] == [12.0, 12.0]
    assert [e["total"] for e in run(1.0).epoch_losses] == [10.375, 11.375]  # weights s/8: means 6/32, 22/32
    kept = run(0.5)
    assert all(e["recon"] == 10.0 and e["kl"] == 2.0 for e in kept.epoch_losses), "the terms are logged unscaled"


def test_kl_warmup_is_part_of_a_cells_id_only_when_it_is_used():
    """At its default (0) the option is left out of the canonical config, so the cells published before
    it existed keep their ids; any other value is another cell."""
    from bench.cells.method import MethodCell
    from bench.config.spec import RunSpec

    plain = MethodCell.resolve(RunSpec("vae", "synthetic", 0, "smoke"))
    warmed = MethodCell.resolve(RunSpec("vae", "synthetic", 0, "smoke", (("kl_warmup", "0.3"),)))
    zero = MethodCell.resolve(RunSpec("vae", "synthetic", 0, "smoke", (("kl_warmup", "0"),)))
    assert "kl_warmup" not in plain.config["train"] and warmed.config["train"]["kl_warmup"] == 0.3
    assert zero.cell_id == plain.cell_id != warmed.cell_id
