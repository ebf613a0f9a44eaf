"""The fast path computes the same function as the straightforward padded implementation, on the
batches the training loop really forms under the paper protocol (random membership, mixed lengths)."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from bench.data.batches import PaddedSplit
from methods.backbones import make_straightforward
from methods.conformance import small_config
from methods.registry import all_methods
from tasks.corpora.synthetic import SyntheticSpec, make_synthetic

BUILTINS = sorted(n for n, e in all_methods().items() if e.origin == "built-in" and "text" in e.identity.backbones)


def paper_train_config() -> dict:
    from bench.cells.method import MethodCell
    from bench.config.spec import RunSpec

    return MethodCell.resolve(RunSpec("hsvae", "yahoo", 0, "paper", ())).config["train"]


class RecordingSplit(PaddedSplit):
    """A split that records the row indices of every batch the training loop asks for."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.seen: list[np.ndarray] = []

    def batch(self, index):
        self.seen.append(np.asarray(index).copy())
        return super().batch(index)


def batches_the_training_loop_sees(seed: int, n: int = 768, batch_size: int = 64) -> tuple[RecordingSplit, list]:
    """One epoch of ``bench.cells.train.train`` under the paper protocol's batching on a tiny AE; the batches it saw."""
    from bench.cells.train import train

    cfg = paper_train_config()
    corpus = make_synthetic(SyntheticSpec(train_size=n, valid_size=0, test_size=0, min_length=2, max_length=25))
    data = RecordingSplit(corpus.split("train"))
    cls = all_methods()["ae"].load()
    torch.manual_seed(0)
    model = cls(small_config(cls, {"hidden_dim": 8, "latent_dim": 4, "embed_dim": 8}), corpus.vocab_size,
                corpus.eos_id)
    train(model, data, epochs=1, batch_size=batch_size, lr=1e-3, rng=np.random.default_rng(seed),
          device=torch.device("cpu"), precision=cfg["precision"], length_pool=cfg["length_pool"])
    return data, data.seen


def test_paper_protocol_batches_have_random_membership_and_are_seeded():
    """MAT-VAE's MMD and BatchTopK's budget are batch statistics: under the paper protocol the training
    loop must see random samples of the corpus (as the reference shuffles), not length pools."""
    from bench.data.batches import bucket_batches, random_batches

    assert paper_train_config()["length_pool"] == 0
    data, seen = batches_the_training_loop_sees(seed=4)
    n, lengths = len(data), data.lengths
    assert np.array_equal(np.sort(np.concatenate(seen)), np.arange(n)), "every sentence once per epoch"
    # the same members as chunks of one seeded shuffle, each ordered longest first
    chunks = random_batches(n, 64, np.random.default_rng(4))
    assert [sorted(b.tolist()) for b in seen] == [sorted(c.tolist()) for c in chunks]
    assert all(np.all(np.diff(lengths[b]) <= 0) for b in seen)
    # the mix of lengths inside a batch is a random partition's, far from length pools'
    distinct = lambda bs: float(np.mean([len(np.unique(lengths[b])) for b in bs]))  # noqa: E731
    pools = distinct(bucket_batches(lengths, 64, np.random.default_rng(4), pool=12))
    partitions = [distinct(random_batches(n, 64, np.random.default_rng(s))) for s in range(20)]
    assert min(partitions) <= distinct(seen) <= max(partitions)
    assert pools < 3 < 15 < distinct(seen)
    # the same seed gives the same batches in the same order; another seed, others
    assert all(np.array_equal(a, b) for a, b in zip(seen, batches_the_training_loop_sees(seed=4)[1], strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(seen, batches_the_training_loop_sees(seed=5)[1]))


@pytest.fixture(scope="module")
def mixed_batch():
    """The first batch the paper protocol forms on a synthetic corpus: random members, many lengths."""
    corpus = make_synthetic(SyntheticSpec(train_size=192, min_length=2, max_length=25))
    data = PaddedSplit(corpus.split("train"))
    index = data.train_indices(48, np.random.default_rng(0), paper_train_config()["length_pool"])[0]
    return corpus, data.batch(index)


@pytest.mark.parametrize("name", BUILTINS)
@pytest.mark.parametrize("training", [False, True], ids=["eval", "train"])
@pytest.mark.parametrize("order", ["longest-first", "shuffled"])
def test_fast_loss_and_gradients_match_padded(name, mixed_batch, training, order):
    """Every loss term (batch-level ones included: MAT-VAE's MMD, TON's statistics), every gradient and
    the codes, in evaluation mode and in training mode (the same draws from the same seed), on the
    training loop's batches (longest first) and on rows in any order (the packed path sorts them)."""
    corpus, batch = mixed_batch
    assert len(torch.unique(batch.lengths)) >= 10, "a mixed batch: much padding, for the test to mean anything"
    if order == "shuffled":
        perm = torch.randperm(batch.size, generator=torch.Generator().manual_seed(5))
        batch = type(batch)(batch.tokens[perm][:, : int(batch.lengths.max())], batch.lengths[perm],
                            None if batch.labels is None else batch.labels[perm])
    cls = all_methods()[name].load()
    torch.manual_seed(0)
    fast = cls(small_config(cls, {"hidden_dim": 24, "latent_dim": 6}), corpus.vocab_size, corpus.eos_id)
    slow = make_straightforward(copy.deepcopy(fast))
    results = []
    for model in (fast, slow):
        model.train(training)  # the same sampling noise from the same seed in either mode
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


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (the cuDNN padded path); "
                    "checked on a lent GPU machine, see docs/performance.md")
@pytest.mark.parametrize("name", BUILTINS)
def test_cudnn_packed_path_matches_padded_on_cuda(name, mixed_batch):
    """On CUDA the fast path runs cuDNN over the padded batch and the output layer on real tokens: the same
    losses and gradients as the straightforward computation
    (fp32, no TF32, as the paper protocol trains)."""
    from bench.cells.train import set_fp32_precision

    corpus, batch = mixed_batch
    device = torch.device("cuda")
    set_fp32_precision(device, "fp32")
    cls = all_methods()[name].load()
    torch.manual_seed(0)
    fast = cls(small_config(cls, {"hidden_dim": 24, "latent_dim": 6}), corpus.vocab_size, corpus.eos_id).to(device)
    slow = make_straightforward(copy.deepcopy(fast))
    results = []
    for model in (fast, slow):
        model.train()
        torch.manual_seed(1)
        out = model.loss(batch.to(device))
        model.zero_grad()
        out.total.backward()
        grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
        results.append((out, grads))
    (f_out, f_grads), (s_out, s_grads) = results
    for k in ("total", *f_out.terms):
        got = f_out.total if k == "total" else f_out.terms[k]
        want = s_out.total if k == "total" else s_out.terms[k]
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4, msg=f"loss term {k}")
    for k in f_grads:
        torch.testing.assert_close(f_grads[k], s_grads[k], rtol=1e-3, atol=1e-5, msg=f"gradient of {k}")
