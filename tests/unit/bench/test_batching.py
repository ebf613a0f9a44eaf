"""Batch composition: random membership by default (batch statistics as the reference), length pools on request."""
from __future__ import annotations

import numpy as np
import pytest

from bench.data.batches import bucket_batches, count_batches, padding_fraction, random_batches


@pytest.fixture
def yelp_like_lengths() -> np.ndarray:
    return np.random.default_rng(0).integers(20, 201, size=5000)


@pytest.fixture
def yahoo_like_lengths() -> np.ndarray:
    return np.clip(np.rint(np.random.default_rng(0).gamma(6.0, 2.2, size=10000)), 5, 30).astype(int)


def test_each_sentence_once_and_seeded(yelp_like_lengths):
    for make in (lambda r: bucket_batches(yelp_like_lengths, 32, r), lambda r: random_batches(5000, 32, r)):
        a, b = make(np.random.default_rng(1)), make(np.random.default_rng(1))
        assert np.array_equal(np.sort(np.concatenate(a)), np.arange(5000))
        assert all(np.array_equal(x, y) for x, y in zip(a, b))
        assert not all(np.array_equal(x, y) for x, y in zip(a, make(np.random.default_rng(2))))


def test_random_batches_are_chunks_of_one_shuffle():
    """The reference protocol: shuffle the corpus, cut it; nothing else decides who shares a batch."""
    batches = random_batches(100, 16, np.random.default_rng(7))
    assert np.array_equal(np.concatenate(batches), np.random.default_rng(7).permutation(100))


def test_random_batches_mix_lengths_as_the_corpus_does(yahoo_like_lengths):
    """Bucketed batches hold one length (a batch statistic such as the MMD then sees one length group);
    random batches hold as many distinct lengths as random draws do."""
    rng = np.random.default_rng(0)
    distinct = lambda bs: np.median([len(np.unique(yahoo_like_lengths[b])) for b in bs])  # noqa: E731
    bucketed = distinct(bucket_batches(yahoo_like_lengths, 256, rng))
    rand = distinct(random_batches(len(yahoo_like_lengths), 256, rng))
    assert bucketed <= 2 and rand >= 15


def test_buckets_pad_far_less_than_random_batches(yelp_like_lengths):
    bucketed = padding_fraction(yelp_like_lengths, bucket_batches(yelp_like_lengths, 32, np.random.default_rng(0)))
    random = padding_fraction(yelp_like_lengths, random_batches(5000, 32, np.random.default_rng(0)))
    assert bucketed < 0.05 < 0.3 < random


def test_bad_sizes():
    with pytest.raises(ValueError, match="batch_size"):
        bucket_batches(np.ones(3, int), 0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="batch_size"):
        random_batches(3, 0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="pool"):
        bucket_batches(np.ones(3, int), 2, np.random.default_rng(0), pool=0)


@pytest.mark.parametrize("n,bs,pool", [(0, 4, 2), (7, 4, 2), (8, 4, 2), (9, 4, 2), (1000, 64, 50), (4000, 64, 50),
                                       (7, 4, 0), (1000, 64, 0)])
def test_count_batches_matches_the_batches(n, bs, pool):
    got = (random_batches(n, bs, np.random.default_rng(0)) if pool == 0
           else bucket_batches(np.arange(n) % 13, bs, np.random.default_rng(0), pool=pool))
    assert count_batches(n, bs, pool) == len(got)


def test_restricting_the_vocabulary_keeps_the_most_frequent_training_words():
    from bench.data.batches import restrict_vocabulary
    from tasks.corpora.base import Split

    eos, unk = 9, 8  # a corpus vocabulary: <pad>=0, words 1..7, _UNK=8, <EOS>=9
    train = Split.from_sequences([[3, 3, 3, 5, eos], [5, 5, 1, eos], [7, 2, eos]], [0, 1, 0])
    test = Split.from_sequences([[1, 4, 6, eos]], [1])
    new_train, (new_test,), size, new_eos, note = restrict_vocabulary(train, [test], eos_id=eos, unk_id=unk,
                                                                      max_vocab=2)
    # word 3 and word 5 occur three times each (tie broken by the old id): ids 1, 2; _UNK = 3; <EOS> = 4
    assert (size, new_eos) == (5, 4)
    assert new_train.ids.tolist() == [1, 1, 1, 2, 4, 2, 2, 3, 4, 3, 3, 4]
    assert new_test.ids.tolist() == [3, 3, 3, 4]  # words outside the kept ones are _UNK
    assert np.array_equal(new_train.offsets, train.offsets) and np.array_equal(new_test.labels, test.labels)
    assert note["kept_words"] == 2 and note["train_token_coverage"] == pytest.approx((6 + 3) / 12)  # six kept words and three <EOS>


def _padded(lengths: np.ndarray):
    from bench.data.batches import PaddedSplit
    from tasks.corpora.base import Split

    return PaddedSplit(Split.from_sequences([[1] * (int(n) - 1) + [2] for n in lengths], np.zeros(len(lengths), int)))


def test_training_batches_have_random_membership_and_are_sorted_inside(yahoo_like_lengths):
    """Paper protocol (length_pool=0): the members are a chunk of one seeded shuffle, the rows longest first."""
    data = _padded(yahoo_like_lengths[:2000])
    batches = data.train_indices(64, np.random.default_rng(3))
    chunks = random_batches(2000, 64, np.random.default_rng(3))
    assert [sorted(b.tolist()) for b in batches] == [sorted(c.tolist()) for c in chunks]
    for index in batches:
        got = data.lengths[index]
        assert np.all(np.diff(got) <= 0), "rows of a random batch are ordered longest first"
    yielded = list(data.train_batches(64, np.random.default_rng(3)))
    assert [b.lengths.tolist() for b in yielded] == [data.lengths[i].tolist() for i in batches]


class _DistinctLengths:
    """A stand-in model whose one loss term is a batch statistic: the number of distinct lengths in the batch."""

    def eval(self):
        return self

    def loss(self, batch):
        import torch
        from methods.base import LossOutput

        distinct = torch.tensor(float(len(torch.unique(batch.lengths))))
        return LossOutput(total=distinct, terms={"recon": distinct, "distinct": distinct})


def test_reported_loss_terms_see_random_batches_not_length_groups(yahoo_like_lengths):
    """A batch statistic on the test split (MAT-VAE's MMD, the total loss) sees random membership, seeded."""
    import torch

    from bench.cells.evaluate import reconstruction

    lengths = yahoo_like_lengths[:4096]
    data = _padded(lengths)
    out = reconstruction(_DistinctLengths(), data, 256, torch.device("cpu"), seed=5)
    got = out["sums"]["distinct"] / out["sentences"]
    # what a random partition into 16 batches of 256 gives, and what length-sorted batches give
    rand = np.mean([len(np.unique(lengths[b])) for b in random_batches(4096, 256, np.random.default_rng(5))])
    sorted_groups = np.mean([len(np.unique(lengths[i])) for i, _ in data.eval_batches(256)])
    assert sorted_groups <= 3 and rand >= 15
    assert got == pytest.approx(rand)
    again = reconstruction(_DistinctLengths(), data, 256, torch.device("cpu"), seed=5)
    assert again["sums"] == out["sums"]
    assert out["sentences"] == 4096 and out["units"] == int(lengths.sum())
