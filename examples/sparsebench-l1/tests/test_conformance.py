"""sparsebench's conformance suite, run against this plugin: subclassing it is the whole test."""
from __future__ import annotations

import pytest

from methods.conformance import Checks, MethodConformance
from sparsebench.params import ConfigError
from sparsebench_l1.method import L1Config, L1SparseAutoencoder


class TestL1OnText(MethodConformance):
    method_class = L1SparseAutoencoder


class TestL1OnEmbeddings(MethodConformance):
    method_class = L1SparseAutoencoder
    backbone = "embedding"


def test_a_stronger_penalty_gives_sparser_codes():
    def zeros(l1):
        checks = Checks(L1SparseAutoencoder, config_overrides={"l1": l1}, train_steps=80)
        model = checks.build()
        checks.train_steps_(model, 80)
        return float((checks.encode_all(model)["code"] == 0).float().mean())

    assert zeros(1.0) > zeros(0.0)


def test_a_negative_penalty_is_a_clear_error():
    with pytest.raises(ConfigError, match="l1=-1.0"):
        L1SparseAutoencoder(L1Config(l1=-1.0), vocab_size=10, eos_id=1)
