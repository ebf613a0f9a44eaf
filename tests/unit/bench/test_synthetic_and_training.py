from __future__ import annotations

import numpy as np
import torch

from bench.data import PaddedSplit
from bench.train import train
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

    from bench.cell import run_cell
    from bench.spec import RunSpec

    base = (("epochs", "2"), ("max_train_sentences", "300"), ("probe_sizes", "all"), ("probe_C", "0.3"))
    plain = run_cell(RunSpec("hsvae", "synthetic", 0, "smoke", base))
    curved = run_cell(RunSpec("hsvae", "synthetic", 0, "smoke", base + (("curve_every", "1"),)))
    assert plain["status"] == curved["status"] == "ok"
    assert [p["epoch"] for p in curved["metrics"]["curve"]] == [1, 2] and plain["metrics"]["curve"] == []
    assert {"probe_accuracy", "active_dims", "kl", "collapsed_dims", "mode"} <= set(curved["metrics"]["curve"][0])
    a = torch.load(__import__("io").BytesIO(plain["_weights"]), weights_only=True)
    b = torch.load(__import__("io").BytesIO(curved["_weights"]), weights_only=True)
    assert all(torch.equal(a[k], b[k]) for k in a), "a run with curves trains exactly the same model"
    assert plain["metrics"]["train_loss"] == curved["metrics"]["train_loss"]
    last = curved["metrics"]["curve"][-1]  # the run's own probe (C = 0.3) and seed: the record's number
    assert last["probe_accuracy"] == curved["metrics"]["modes"][last["mode"]]["probe_accuracy"]
