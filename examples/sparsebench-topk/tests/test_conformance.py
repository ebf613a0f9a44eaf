"""sparsebench's conformance suite, run against this plugin: subclassing it is the whole test."""
from __future__ import annotations

import pytest

from methods.conformance import MethodConformance
from methods.errors import MethodError
from sparsebench_topk.method import TopKAutoencoder, TopKConfig


class TestTopK(MethodConformance):
    method_class = TopKAutoencoder


def test_codes_have_at_most_k_non_zeros():
    from methods.conformance import Checks

    checks = Checks(TopKAutoencoder, config_overrides={"k": 3})
    codes = checks.encode_all(checks.build())["code"]
    assert int((codes != 0).sum(1).max()) <= 3


def test_k_larger_than_latent_dim_is_a_clear_error():
    with pytest.raises(MethodError, match="k=64"):
        TopKAutoencoder(TopKConfig(latent_dim=8, k=64), vocab_size=10, eos_id=1)
