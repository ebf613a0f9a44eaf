"""Sweeps at scale: parallel workers, SIGKILL and resume, failure isolation, a Dask cluster."""
from __future__ import annotations

import json
import re
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SMALL = ["--set", "epochs=1", "--set", "max_train_sentences=600", "--set", "hidden_dim=16", "--set", "embed_dim=8",
         "--set", "probe_sizes=all", "--no-references"]  # the reference rows are tested where they are the point


@pytest.fixture
def grid(tmp_path) -> list[str]:
    """2 methods × 2 corpora (synthetic and a user TSV the test writes) × 2 seeds = 8 cells."""
    rng = random.Random(0)
    words = {0: "good great tasty fine", 1: "bad awful cold slow"}
    lines = ["text\tlabel"]
    for i in range(300):
        label = i % 2
        lines.append(" ".join(rng.choice(words[label].split()) for _ in range(rng.randint(3, 9))) + f"\t{label}")
    path = tmp_path / "reviews.tsv"
    path.write_text("\n".join(lines) + "\n")
    return ["--methods", "vae,ae", "--corpora", f"synthetic,{path}", "--seeds", "2", *SMALL]


def bench(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bench", *args], capture_output=True, text=True,
                          env={**os.environ, "SPARSEBENCH_IGNORE_GPUS": "1"}, **kw)


def records(results: Path) -> dict[str, dict]:
    out = {}
    for f in (results / "runs").glob("*/record.json"):
        record = json.loads(f.read_text())  # a corrupt record would raise here
        if "reference" not in record:  # the grid's cells, not the reference rows beside them
            out[f.parent.name] = record
    return out


def test_sigkill_midway_then_rerun_finishes_without_redoing_cells(tmp_path, grid):
    results = tmp_path / "results"
    proc = subprocess.Popen([sys.executable, "-m", "bench", "run", *grid, "--jobs", "2", "--results-dir", str(results)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                            env={**os.environ, "SPARSEBENCH_IGNORE_GPUS": "1"})
    deadline = time.time() + 240
    while time.time() < deadline and not list((results / "runs").glob("*/record.json")):
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = records(results)
    assert 1 <= len(before) < 8, "killed mid-way: some but not all cells done"
    assert all(r["status"] == "ok" for r in before.values())
    mtimes = {d: (results / "runs" / d / "record.json").stat().st_mtime_ns for d in before}
    assert not list((results / "runs").glob("*/.*.tmp")), "no half-written record"

    res = bench("run", *grid, "--jobs", "2", "--results-dir", str(results))
    assert res.returncode == 0, res.stderr
    counts = re.search(r"(\d+) trained, (\d+) rescored, (\d+) cached, 0 failed", res.stdout)
    assert counts, res.stdout
    trained, rescored, cached = map(int, counts.groups())
    # a cell killed between storing its weights and its record is re-scored, never retrained
    assert trained + rescored == 8 - len(before) and cached == len(before)
    after = records(results)
    assert len(after) == 8 and all(r["status"] == "ok" for r in after.values())
    assert {r["spec"]["method"] for r in after.values()} == {"vae", "ae"}
    assert len({r["spec"]["corpus"] for r in after.values()}) == 2
    for d, t in mtimes.items():
        assert (results / "runs" / d / "record.json").stat().st_mtime_ns == t, "finished cell was recomputed"


def test_a_diverging_cell_fails_alone_and_retry_failed_reruns_only_it(tmp_path):
    results = tmp_path / "results"
    args = ["--methods", "vae", *SMALL, "--grid", "vae.beta=1,1e39", "--results-dir", str(results)]
    res = bench("run", *args, "--jobs", "2")
    assert res.returncode == 1
    assert "1 trained, 0 rescored, 0 cached, 1 failed" in res.stdout
    assert "DivergenceError: loss diverged at epoch 1, step 1: non-finite total=inf" in res.stdout
    recs = records(results)
    failed = [r for r in recs.values() if r["status"] == "failed"]
    assert len(failed) == 1 and "vae.beta" in json.dumps(failed[0]["spec"])
    assert "| vae" in res.stdout  # the leaderboard of the cells that worked

    again = bench("run", *args)
    assert again.returncode == 1 and "0 trained, 0 rescored, 1 cached, 1 failed" in again.stdout
    assert "--retry-failed reruns it" in again.stdout
    retry = bench("run", *args, "--retry-failed")
    assert "0 trained, 0 rescored, 1 cached, 1 failed" in retry.stdout and "step 1" in retry.stdout


def test_grid_runs_on_a_local_dask_cluster(tmp_path, grid):
    distributed = pytest.importorskip("distributed")
    results = tmp_path / "results"
    with distributed.LocalCluster(host="127.0.0.1", n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        res = bench("run", *grid, "--executor", "dask", "--scheduler", cluster.scheduler_address,
                    "--results-dir", str(results))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "8 trained" in res.stdout
    recs = records(results)
    assert len(recs) == 8 and all(r["status"] == "ok" for r in recs.values())


def test_unreachable_scheduler_is_a_user_error(tmp_path):
    res = bench("run", "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9", "--results-dir", str(tmp_path))
    assert res.returncode == 2
    assert "cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'" in res.stderr


def test_missing_train_split_stops_before_any_worker_starts(shared_data, tmp_path):
    res = bench("run", "--corpora", "yahoo", "--data-dir", str(shared_data), "--jobs", "2",
                "--results-dir", str(tmp_path))
    assert res.returncode == 2
    assert "yahoo/train.txt" in res.stderr
    assert "bench data download yahoo" in res.stderr and "--train-split valid" in res.stderr
    assert not (tmp_path / "runs").exists()


def test_a_gpu_that_is_not_there_is_a_user_error(tmp_path):
    import torch

    if torch.cuda.device_count() > 7:
        pytest.skip("this machine has 8 GPUs")
    res = bench("run", "--devices", "cuda:7", "--results-dir", str(tmp_path))
    assert res.returncode == 2 and "cuda:7 is not available here" in res.stderr
