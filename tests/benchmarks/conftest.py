"""A regression gate for throughput that survives a noisy shared 2-core machine.

Raw seconds move with the machine's load, so each benchmark divides its throughput by a matmul
GFLOP/s measured in the same session ("work per unit of machine") and compares that with the
baseline kept in ``baseline.json``.  The gate trips only on a fall below ``GATE`` × baseline: a
tripwire for a real regression (a lost fast path, an accidental host sync), not an instrument.
Refresh the baseline on a quiet machine with ``SPARSEBENCH_UPDATE_BASELINE=1 pytest tests/benchmarks``.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

BASELINE = Path(__file__).with_name("baseline.json")
GATE = 0.35


@pytest.fixture(scope="session")
def machine_gflops() -> float:
    import torch

    from bench.profile import matmul_peak_gflops

    return max(matmul_peak_gflops(torch.device("cpu"), n=1024, reps=5) for _ in range(2))


class Gate:
    def __init__(self) -> None:
        self.baseline = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
        self.measured: dict[str, float] = {}

    def check(self, name: str, normalised: float) -> None:
        self.measured[name] = normalised
        if os.environ.get("SPARSEBENCH_UPDATE_BASELINE"):
            return
        assert name in self.baseline, (
            f"no baseline for benchmark {name!r} in {BASELINE.name}; refresh it with "
            "SPARSEBENCH_UPDATE_BASELINE=1 pytest tests/benchmarks")
        floor = GATE * self.baseline[name]
        assert normalised >= floor, (
            f"{name}: {normalised:.4g} units per machine-GFLOP/s is below {GATE:.0%} of the baseline "
            f"{self.baseline[name]:.4g}: a throughput regression")


@pytest.fixture(scope="session")
def gate():
    g = Gate()
    yield g
    if os.environ.get("SPARSEBENCH_UPDATE_BASELINE") and g.measured:
        merged = {**g.baseline, **{k: round(v, 6) for k, v in g.measured.items()}}
        BASELINE.write_text(json.dumps(dict(sorted(merged.items())), indent=2) + "\n")
