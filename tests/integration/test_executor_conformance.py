"""The suite every executor passes (hydra's launcher-suite idea): built-ins here, a plugin by adding its factory.

For each executor: a finished cell's record comes back whole (the schema, the metrics the cell
computes in this process, its weights, JSON round-trip); a failing cell is recorded as failed
while the other cells finish; and, for executors that run cells in worker processes, a worker
killed with SIGKILL (what the out-of-memory killer does) is recorded as failed while the others
finish.  Executors without worker processes (in-process, Dask with thread workers) cannot lose a
worker, so the kill case is generated only for those with processes.
"""
from __future__ import annotations

import io
import json
import signal
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, ContextManager, Iterator

import pytest

from bench.config.resolve import parse_overrides
from bench.run.executors import CellTask, Executor
from bench.run.driver import expand
from bench.config.spec import RunSpec

SMALL = ("epochs=2", "max_train_sentences=300", "hidden_dim=16", "embed_dim=8", "latent_dim=8", "probe_sizes=all")


def _spec(*sets: str) -> RunSpec:
    (spec,) = expand(["vae"], ["synthetic"], [0], "smoke", parse_overrides([*SMALL, *sets]))
    return spec


GOOD = _spec()
FAILING = _spec("vae.beta=1e39")  # the loss is infinite at the first step: DivergenceError
SLOW = _spec("epochs=2000")  # runs for minutes unless its worker is killed


@dataclass
class Backend:
    name: str
    #: builds the executor (inside any context the backend needs, e.g. a running cluster)
    open: Callable[[], ContextManager[Executor]]
    #: SIGKILLs every worker process of this backend that is running now; None: no worker processes
    kill_workers: Callable[[], int] | None = None


def _descendants():
    import psutil

    return psutil.Process().children(recursive=True)


def _kill(match: Callable[[list[str]], bool]) -> int:
    import psutil

    n = 0
    for proc in _descendants():
        try:
            if match(proc.cmdline()):
                proc.send_signal(signal.SIGKILL)
                n += 1
        except psutil.NoSuchProcess:
            pass
    return n


@contextmanager
def _in_process():
    from bench.run.backends import ExecutorSettings, make_executor

    yield make_executor("local", ExecutorSettings(jobs=1, devices="cpu", threads=1))


@contextmanager
def _subprocess():
    from bench.run.backends import ExecutorSettings, make_executor

    yield make_executor("local", ExecutorSettings(jobs=2, devices="cpu", threads=1))


@contextmanager
def _dask(processes: bool):
    distributed = pytest.importorskip("distributed")
    import dask

    from bench.run.backends import ExecutorSettings, make_executor

    # a killed worker fails its task at once (the default retries it on another worker 3 times)
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            distributed.LocalCluster(host="127.0.0.1", protocol="tcp", n_workers=2, threads_per_worker=1,
                                     processes=processes,
                                     dashboard_address=None) as cluster:
        yield make_executor("dask", ExecutorSettings(scheduler=cluster.scheduler_address))


SUBPROCESS = Backend("subprocess", _subprocess, lambda: _kill(lambda cmd: "bench.run.worker" in cmd))
#: Every built-in executor; Dask's with thread workers (the cell code is the same, and threads share
#: torch's random generator: the case bench.run.executors guards against), ...
BACKENDS = [Backend("in-process", _in_process), SUBPROCESS, Backend("dask-threads", lambda: _dask(False))]
#: ... and Dask's with worker processes for the kill (a process cluster costs a minute on 2 busy cores)
WITH_PROCESSES = [SUBPROCESS, Backend("dask-processes", lambda: _dask(True),
                                      lambda: _kill(lambda cmd: any("spawn_main" in part for part in cmd)))]


def _run(executor: Executor, specs: list[RunSpec], scratch: Path) -> Iterator[tuple[RunSpec, dict]]:
    lines: list[str] = []
    executor.echo = lines.append  # the protocol's echo is settable: the driver routes it through its bar
    return executor.run([CellTask(s, {}) for s in specs], scratch)


@pytest.fixture(scope="module")
def reference() -> dict:
    """The good cell run directly in this process: what every executor must bring back."""
    from bench.run.worker import execute

    return execute(CellTask(GOOD, {}).payload("cpu"))


def _check_round_trip(record: dict, reference: dict) -> None:
    import torch

    from bench.store.results import record_problems, to_json

    assert record["status"] == "ok", record.get("error")
    weights = record.pop("_weights")
    record.pop("log", None)
    assert record_problems(record) == []
    assert RunSpec.from_dict(record["spec"], record["config"]) == GOOD
    assert record["cell_id"] == GOOD.cell_id and record["config"] == GOOD.config
    state = torch.load(io.BytesIO(weights), map_location="cpu", weights_only=True)
    expected = torch.load(io.BytesIO(reference["_weights"]), map_location="cpu", weights_only=True)
    assert state.keys() == expected.keys() and all(torch.equal(state[k], expected[k]) for k in state)
    assert json.loads(to_json(record))["metrics"] == json.loads(to_json({"m": reference["metrics"]}))["m"]


@pytest.mark.parametrize("backend", BACKENDS, ids=[b.name for b in BACKENDS])
def test_a_finished_cell_round_trips_and_a_failing_one_fails_alone(backend, reference, tmp_path):
    with backend.open() as executor:
        results = list(_run(executor, [FAILING, GOOD], tmp_path / "scratch"))
    by_id = {spec.cell_id: record for spec, record in results}
    assert sorted(by_id) == sorted([GOOD.cell_id, FAILING.cell_id]) and len(results) == 2
    failed = by_id[FAILING.cell_id]
    assert failed["status"] == "failed"
    assert "DivergenceError" in failed["error"] and "non-finite" in failed["error"]
    _check_round_trip(by_id[GOOD.cell_id], reference)
    if (tmp_path / "scratch").exists():
        assert not any((tmp_path / "scratch").iterdir()), "a collected cell leaves no scratch files"


@pytest.mark.parametrize("backend", WITH_PROCESSES, ids=[b.name for b in WITH_PROCESSES])
def test_a_killed_worker_is_a_failed_cell_and_the_others_finish(backend, tmp_path):
    seen: dict[str, dict] = {}
    with backend.open() as executor:
        for spec, record in _run(executor, [GOOD, SLOW], tmp_path / "scratch"):
            seen[spec.cell_id] = record
            if spec == GOOD:  # the slow cell is still training in its worker: kill it
                deadline = time.time() + 60
                while not backend.kill_workers() and time.time() < deadline:
                    time.sleep(0.2)
    assert seen[GOOD.cell_id]["status"] == "ok"
    killed = seen[SLOW.cell_id]
    assert killed["status"] == "failed", "the slow cell cannot have finished 2000 epochs"
    assert killed["cell_id"] == SLOW.cell_id and killed["spec"] == SLOW.to_dict()
    assert "SIGKILL" in killed["error"] or "KilledWorker" in killed["error"], killed["error"]
    from bench.store.results import record_problems

    assert record_problems({k: v for k, v in killed.items() if k != "log"}) == []

