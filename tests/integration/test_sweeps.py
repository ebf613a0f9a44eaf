"""Sweeps at scale: parallel workers, SIGKILL and resume, failure isolation, a Dask cluster."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

GRID = ["--methods", "vae", "--corpora", "synthetic", "--seeds", "2", "--grid", "latent_dim=3,5",
        "--set", "epochs=2", "--set", "max_train_sentences=1500", "--set", "hidden_dim=24", "--set", "embed_dim=12"]


def bench(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bench", *args], capture_output=True, text=True,
                          env={**os.environ, "SPARSEBENCH_IGNORE_GPUS": "1"}, **kw)


def records(results: Path) -> dict[str, dict]:
    out = {}
    for f in (results / "runs").glob("*/record.json"):
        out[f.parent.name] = json.loads(f.read_text())  # a corrupt record would raise here
    return out


def test_sigkill_midway_then_rerun_finishes_without_redoing_cells(tmp_path):
    results = tmp_path / "results"
    proc = subprocess.Popen([sys.executable, "-m", "bench", "run", *GRID, "--jobs", "2", "--results-dir", str(results)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                            env={**os.environ, "SPARSEBENCH_IGNORE_GPUS": "1"})
    deadline = time.time() + 240
    while time.time() < deadline and not list((results / "runs").glob("*/record.json")):
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = records(results)
    assert 1 <= len(before) < 4, "killed mid-way: some but not all cells done"
    assert all(r["status"] == "ok" for r in before.values())
    mtimes = {d: (results / "runs" / d / "record.json").stat().st_mtime_ns for d in before}
    assert not list((results / "runs").glob("*/.*.tmp")), "no half-written record"

    res = bench("run", *GRID, "--jobs", "2", "--results-dir", str(results))
    assert res.returncode == 0, res.stderr
    assert f"{4 - len(before)} trained, {len(before)} cached, 0 failed" in res.stdout
    after = records(results)
    assert len(after) == 4
    for d, t in mtimes.items():
        assert (results / "runs" / d / "record.json").stat().st_mtime_ns == t, "finished cell was recomputed"


def test_a_diverging_cell_fails_alone_and_retry_failed_reruns_only_it(tmp_path):
    results = tmp_path / "results"
    args = ["--methods", "vae", "--set", "epochs=1", "--set", "hidden_dim=16", "--set", "embed_dim=8",
            "--set", "max_train_sentences=500", "--grid", "vae.beta=1,1e39", "--results-dir", str(results)]
    res = bench("run", *args, "--jobs", "2")
    assert res.returncode == 1
    assert "1 trained, 0 cached, 1 failed" in res.stdout
    assert "DivergenceError: loss diverged at epoch 1, step 1: non-finite total=inf" in res.stdout
    recs = records(results)
    failed = [r for r in recs.values() if r["status"] == "failed"]
    assert len(failed) == 1 and "vae.beta" in json.dumps(failed[0]["spec"])
    assert "| vae" in res.stdout  # the leaderboard of the cells that worked

    again = bench("run", *args)
    assert again.returncode == 1 and "0 trained, 1 cached, 1 failed" in again.stdout
    assert "--retry-failed reruns it" in again.stdout
    retry = bench("run", *args, "--retry-failed")
    assert "0 trained, 1 cached, 1 failed" in retry.stdout and "step 1" in retry.stdout


def test_grid_runs_on_a_local_dask_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    results = tmp_path / "results"
    with distributed.LocalCluster(host="127.0.0.1", n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        res = bench("run", *GRID[:-8], "--set", "epochs=1", "--set", "max_train_sentences=500", "--set",
                    "hidden_dim=16", "--backend", "dask", "--scheduler", cluster.scheduler_address,
                    "--results-dir", str(results))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "4 trained" in res.stdout
    recs = records(results)
    assert len(recs) == 4 and all(r["status"] == "ok" for r in recs.values())


def test_unreachable_scheduler_is_a_user_error(tmp_path):
    res = bench("run", "--backend", "dask", "--scheduler", "tcp://127.0.0.1:9", "--results-dir", str(tmp_path))
    assert res.returncode == 2
    assert "cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'" in res.stderr


def test_missing_train_split_stops_before_any_worker_starts(shared_data, tmp_path):
    res = bench("run", "--corpora", "yahoo", "--data-dir", str(shared_data), "--jobs", "2",
                "--results-dir", str(tmp_path))
    assert res.returncode == 2
    assert "yahoo/train.txt" in res.stderr
    assert "bench data download yahoo" in res.stderr and "--train-split valid" in res.stderr
    assert not (tmp_path / "runs").exists()
