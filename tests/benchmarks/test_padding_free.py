"""No work on padding: the packed backbone against the straightforward padded one, in one run, and memory
that does not grow across a grid's cells in one process.

The speed-up is measured at the reference preset's sizes (embedding 128, GRU 256, 5,000 words, batch
32: the published CPU protocol) on random batches shaped like Yahoo (5-30 tokens, mean 12.4) and
DBpedia (1-60, mean 35.3), interleaved round by round so that the machine's load hits both sides
alike; ``benchmark.extra_info`` keeps tokens/s of each and the ratio.  The floors are tripwires for a
lost fast path, not targets: ``bench profile --baseline`` is the instrument (docs/performance.md).
"""
from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from bench.data.batches import PaddedSplit
from bench.cells.models import build_model
from bench.data.prepare import DataShape
from bench.perf.profile import shaped_split
from bench.cells.train import make_optimizer
from tasks.corpora import corpus_info

SIZES = {"embed_dim": 128, "hidden_dim": 256, "latent_dim": 32}
VOCAB = 5003  # the reference preset's 5,000 words + <pad>, _UNK, <EOS>
FLOOR = 1.2


def _batches(corpus: str, n: int = 8, batch_size: int = 32) -> list:
    shape = corpus_info(corpus).shape
    split = shaped_split(shape, n * batch_size, seed=0)
    split.ids[:] = np.minimum(split.ids, VOCAB - 2)  # the reference vocabulary
    data = PaddedSplit(split)
    return [data.batch(i) for i in data.train_indices(batch_size, np.random.default_rng(0))][:n]


def _step(model, batches):
    opt = make_optimizer(model, 8e-4, torch.device("cpu"))
    model.train()
    it = iter(range(10**9))

    def step():
        loss = model.loss(batches[next(it) % len(batches)])
        opt.zero_grad(set_to_none=True)
        loss.total.backward()
        opt.step()

    return step


@pytest.mark.parametrize("corpus", ["yahoo", "dbpedia"])
def test_packed_backbone_against_the_padded_one(benchmark, corpus):
    batches = _batches(corpus)
    torch.manual_seed(0)
    fast = build_model("hsvae", SIZES, DataShape(VOCAB, VOCAB - 1))
    slow = build_model("hsvae", SIZES, DataShape(VOCAB, VOCAB - 1), straightforward=True)
    slow.load_state_dict(fast.state_dict())
    steps = {"packed": _step(fast, batches), "padded": _step(slow, batches)}
    times: dict[str, list[float]] = {k: [] for k in steps}

    def round_():
        for name, step in steps.items():  # interleaved: a burst of load slows both sides
            t = time.perf_counter()
            for _ in range(len(batches)):
                step()
            times[name].append(time.perf_counter() - t)

    benchmark.pedantic(round_, rounds=3, warmup_rounds=1)
    tokens = sum(int(b.lengths.sum()) for b in batches)
    rate = {k: tokens / float(np.median(v[1:] or v)) for k, v in times.items()}
    padding = 1 - tokens / sum(b.size * int(b.lengths.max()) for b in batches)
    speedup = rate["packed"] / rate["padded"]
    benchmark.extra_info.update(tokens_per_s=rate, speedup=speedup, padding_fraction=padding)
    assert speedup >= FLOOR, f"packed {rate['packed']:.0f} tokens/s is only {speedup:.2f}× the padded backbone"


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


@pytest.mark.skipif(not __import__("os").path.exists("/proc/self/statm"), reason="reads /proc/self/statm (Linux)")
def test_memory_does_not_grow_across_a_grid_in_one_process(benchmark):
    """Ten cells run in one process (the in-process executor): the resident memory after the last is not
    above what it was after the third by more than a tripwire's margin."""
    from bench.cells.method import MethodCell
    from bench.cells.protocol import CellRun
    from bench.config.spec import RunSpec

    rss: list[float] = []

    def grid():
        for seed in range(10):
            spec = RunSpec("hsvae", "synthetic", seed, "smoke", (("epochs", "1"), ("max_train_sentences", "500")))
            assert MethodCell.resolve(spec).run(CellRun()).record.ok
            rss.append(_rss_mb())

    benchmark.pedantic(grid, rounds=1, warmup_rounds=0)
    benchmark.extra_info.update(rss_mb_after_each_cell=[round(r, 1) for r in rss])
    assert rss[-1] - rss[2] < 64, f"resident memory grew from {rss[2]:.0f} to {rss[-1]:.0f} MB over 7 cells"
