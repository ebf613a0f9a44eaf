"""The regression gate itself must be able to fail."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

spec = importlib.util.spec_from_file_location("bench_gate", Path(__file__).with_name("conftest.py"))
gate_module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gate_module)


def test_gate_trips_below_the_floor_and_on_a_missing_baseline(monkeypatch):
    monkeypatch.delenv("SPARSEBENCH_UPDATE_BASELINE", raising=False)
    g = gate_module.Gate()
    g.baseline = {"train[x]": 100.0}
    g.check("train[x]", 100.0 * gate_module.GATE + 1)
    with pytest.raises(AssertionError, match="throughput regression"):
        g.check("train[x]", 100.0 * gate_module.GATE - 1)
    with pytest.raises(AssertionError, match="no baseline for benchmark 'train\\[y\\]'"):
        g.check("train[y]", 1.0)


def test_every_builtin_benchmark_has_a_baseline():
    import json

    from methods.registry import all_methods

    names = json.loads(gate_module.BASELINE.read_text())
    for m in (n for n, e in all_methods().items() if e.origin == "built-in" and "text" in e.identity.backbones):
        for kind in ("train", "encode"):
            for size in ("smoke", "cpu"):
                assert f"{kind}[{m}-{size}]" in names
