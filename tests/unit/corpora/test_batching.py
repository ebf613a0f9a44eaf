"""Seeded length buckets: every sentence once per epoch, reproducible, and little padding."""
from __future__ import annotations

import numpy as np
import pytest

from tasks.batching import bucket_batches, padding_fraction


@pytest.fixture
def yelp_like_lengths() -> np.ndarray:
    return np.random.default_rng(0).integers(20, 201, size=5000)


def test_each_sentence_once_and_seeded(yelp_like_lengths):
    a = bucket_batches(yelp_like_lengths, 32, np.random.default_rng(1))
    b = bucket_batches(yelp_like_lengths, 32, np.random.default_rng(1))
    assert np.array_equal(np.sort(np.concatenate(a)), np.arange(5000))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, bucket_batches(yelp_like_lengths, 32,
                                                                            np.random.default_rng(2))))


def test_buckets_pad_far_less_than_random_batches(yelp_like_lengths):
    bucketed = padding_fraction(yelp_like_lengths, bucket_batches(yelp_like_lengths, 32, np.random.default_rng(0)))
    order = np.random.default_rng(0).permutation(5000)
    random = padding_fraction(yelp_like_lengths, [order[i:i + 32] for i in range(0, 5000, 32)])
    assert bucketed < 0.05 < 0.3 < random


def test_bad_sizes():
    with pytest.raises(ValueError, match="batch_size"):
        bucket_batches(np.ones(3, int), 0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="pool"):
        bucket_batches(np.ones(3, int), 2, np.random.default_rng(0), pool=0)


@pytest.mark.parametrize("n,bs,pool", [(0, 4, 2), (7, 4, 2), (8, 4, 2), (9, 4, 2), (1000, 64, 50), (4000, 64, 50)])
def test_count_batches_matches_bucket_batches(n, bs, pool):
    from tasks.batching import count_batches

    got = bucket_batches(np.arange(n) % 13, bs, np.random.default_rng(0), pool=pool)
    assert count_batches(n, bs, pool) == len(got)
