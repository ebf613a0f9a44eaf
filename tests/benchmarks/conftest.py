"""A regression gate for throughput that survives a noisy shared 2-core machine.

Raw seconds move with the machine's load, and a small model's step is dominated by per-op overhead
that scales differently from matmul FLOP/s between machines and thread counts. So every benchmark
(1) runs single-threaded, where a second CPU-bound process on the other core barely touches it and
torch's thread pool cannot oversubscribe the cores, and (2) times a fixed plain-PyTorch reference
step (embedding → GRU → linear → cross-entropy, forward and backward: the same kinds of ops as a
method's step) before *every* round, interleaved with the rounds being measured. A round's score is
its throughput in units per reference step; the gate reads the median over rounds, so a burst of
load that slows one round slows its reference too, and an outlier round cannot decide.

The gate trips only on a fall below ``GATE`` × the baseline in ``baseline.json``: a tripwire for a
real regression (a lost fast path, an accidental host sync, a per-token Python loop), not an
instrument; ``bench profile`` is the instrument. Refresh the baseline on a quiet machine with
``SPARSEBENCH_UPDATE_BASELINE=1 pytest tests/benchmarks``.
"""
from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path
from typing import Callable

import pytest

BASELINE = Path(__file__).with_name("baseline.json")
GATE = 0.35


@pytest.fixture(scope="session", autouse=True)
def single_threaded():
    """Every benchmark single-threaded (restored afterwards for the rest of the session)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


class ReferenceStep:
    """One training step of a fixed plain-PyTorch GRU language model, timed on demand."""

    def __init__(self) -> None:
        import torch

        g = torch.Generator().manual_seed(0)
        self.torch = torch
        self.emb = torch.nn.Embedding(2000, 64)
        self.gru = torch.nn.GRU(64, 128, batch_first=True)
        self.out = torch.nn.Linear(128, 2000)
        self.params = [*self.emb.parameters(), *self.gru.parameters(), *self.out.parameters()]
        self.opt = torch.optim.Adam(self.params, lr=1e-3)
        self.x = torch.randint(0, 2000, (32, 16), generator=g)
        self.times: list[float] = []
        for _ in range(2):  # warm-up: allocator, first-call dispatch
            self.step()

    def step(self) -> None:
        F = self.torch.nn.functional
        h, _ = self.gru(self.emb(self.x[:, :-1]))
        loss = F.cross_entropy(self.out(h).reshape(-1, 2000), self.x[:, 1:].reshape(-1))
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()

    def timed(self) -> None:
        """Time one step into ``self.times`` (returns None: a pedantic ``setup`` passes no arguments)."""
        t = time.perf_counter()
        self.step()
        self.times.append(time.perf_counter() - t)


@pytest.fixture(scope="session")
def reference() -> ReferenceStep:
    return ReferenceStep()


@pytest.fixture
def interleaved(benchmark, reference: ReferenceStep) -> Callable[..., float]:
    """``interleaved(target, units=N)``: see :func:`measure_interleaved`."""
    return lambda target, *, units, rounds=7: measure_interleaved(benchmark, reference, target, units=units,
                                                                  rounds=rounds)


def measure_interleaved(benchmark, reference: ReferenceStep, target: Callable[[], object], *, units: float,
                        rounds: int = 7) -> float:
    """Run ``target`` under pytest-benchmark with a reference step before every round; return the
    median over rounds of ``units`` per round-time, in units per reference-step time."""
    reference.times.clear()
    benchmark.pedantic(target, setup=reference.timed, rounds=rounds, warmup_rounds=1)
    data = list(benchmark.stats.stats.data)
    refs = reference.times[-len(data):]  # setup also runs before the warm-up round
    score = statistics.median(units * r / t for r, t in zip(refs, data))
    benchmark.extra_info.update(units_per_s=units / benchmark.stats.stats.median,
                                reference_step_s=statistics.median(refs), normalised=score)
    return score


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
            f"{name}: {normalised:.4g} units per reference step is below {GATE:.0%} of the baseline "
            f"{self.baseline[name]:.4g}: a throughput regression")


@pytest.fixture(scope="session")
def gate():
    g = Gate()
    yield g
    if os.environ.get("SPARSEBENCH_UPDATE_BASELINE") and g.measured:
        merged = {**g.baseline, **{k: round(v, 6) for k, v in g.measured.items()}}
        BASELINE.write_text(json.dumps(dict(sorted(merged.items())), indent=2) + "\n")
