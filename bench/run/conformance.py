"""The executor conformance suite: what any executor, built-in or plugin, must do for the driver to trust it.

An executor author subclasses it in their own tests (hydra's launcher-suite idea) and says how to
open their executor; every ``test_*`` method then runs against it under pytest::

    from contextlib import nullcontext

    from bench.run.conformance import ExecutorConformance

    class TestMyExecutor(ExecutorConformance):
        def executor(self):
            return nullcontext(make_executor(ExecutorSettings(options={"partition": "debug"})))

:class:`ExecutorConformance` checks that a finished cell comes back whole (its record passes the
schema, its metrics are those the cell computes in this process, its weights are bit-for-bit the
same, it round-trips through JSON), that a failing cell is a failed record while the other cells
finish, that a reference cell runs there like a method cell, and that nothing is left in the run's
scratch folder.  An executor whose cells run in worker processes also subclasses
:class:`KilledWorkerConformance` and says how to kill its workers: a worker killed with SIGKILL
(what the out-of-memory killer does) must be a failed cell, and the other cells must finish.

The cells are tiny (a VAE on 300 synthetic sentences, seconds on one CPU thread).  Numbers are compared
bit for bit with the same cell run in the test's process on one thread, so the executor under test
must run its cells on one CPU thread each (e.g. ``ExecutorSettings(threads=1)``).
"""
from __future__ import annotations

import io
import json
import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Iterator

from bench.cells.method import MethodCell
from bench.cells.protocol import Cell, CellResult
from bench.run.executors import CellTask, Executor

#: The settings of the suite's cells: small enough for seconds on one thread.
SMALL = ("epochs=2", "max_train_sentences=300", "hidden_dim=16", "embed_dim=8", "latent_dim=8", "probe_sizes=all")


def suite_cell(*sets: str) -> MethodCell:
    """A ``vae`` cell on the synthetic corpus with the suite's small settings plus ``sets`` (``KEY=VALUE``)."""
    from bench.config.resolve import parse_overrides
    from bench.run.expand import Grid, expand

    (cell,) = expand(Grid(["vae"], ["synthetic"], (0,), "smoke", parse_overrides([*SMALL, *sets])))
    return cell


def good_cell() -> MethodCell:
    return suite_cell()


def failing_cell() -> MethodCell:
    """The loss is infinite at the first step: a DivergenceError, a failed record."""
    return suite_cell("vae.beta=1e39")


def slow_cell() -> MethodCell:
    """Runs for minutes unless its worker is killed."""
    return suite_cell("epochs=2000")


def reference_cell() -> Cell:
    from bench.cells.reference import Checksums, ReferenceCell

    cell = good_cell()
    return ReferenceCell.beside("tfidf-svd", cell, Checksums({})(cell))


_EXPECTED: dict[str, CellResult] = {}


def expected(cell: Cell) -> CellResult:
    """What ``cell`` gives when run in this process, directly, on one CPU thread: what every executor must
    bring back (bit for bit: an executor under test runs its cells with one thread too, ``threads=1``)."""
    from bench.run.worker import execute
    from bench.threads import pinned_threads

    if cell.cell_id not in _EXPECTED:
        with pinned_threads(1):
            _EXPECTED[cell.cell_id] = execute(CellTask(cell, {}).payload("cpu"))
    return _EXPECTED[cell.cell_id]


def run_tasks(executor: Executor, cells: list[Cell], scratch: Path) -> Iterator[tuple[Cell, CellResult]]:
    lines: list[str] = []
    executor.echo = lines.append  # the protocol's echo is settable: the driver routes it through its bar
    return executor.run([CellTask(c, {}) for c in cells], scratch)


def check_round_trip(result: CellResult, want: CellResult) -> None:
    """``result`` is ``want``: the same record (schema, ids, metrics through JSON) and the same weights."""
    import torch

    from bench.store.record import Record, record_problems, to_json

    record = result.record
    assert record.ok, record.error
    assert record_problems(record.to_json()) == []
    assert Record.from_json(json.loads(record.dumps())).to_json() == json.loads(record.dumps())
    assert (record.cell_id, record.spec, record.config) == (want.record.cell_id, want.record.spec, want.record.config)
    assert json.loads(to_json(record.metrics)) == json.loads(to_json(want.record.metrics))
    assert (result.weights is None) == (want.weights is None)
    if want.weights is not None:
        state = torch.load(io.BytesIO(result.weights), map_location="cpu", weights_only=True)
        expected_state = torch.load(io.BytesIO(want.weights), map_location="cpu", weights_only=True)
        assert state.keys() == expected_state.keys() and all(torch.equal(state[k], expected_state[k]) for k in state)


class ExecutorConformance:
    """Subclass as ``Test<YourExecutor>`` and implement :meth:`executor`; pytest runs every ``test_*``."""

    def executor(self) -> AbstractContextManager[Executor]:
        """A context manager that yields the executor under test (inside anything it needs: a cluster...)."""
        raise NotImplementedError("return a context manager yielding your executor, e.g. nullcontext(executor)")

    def test_a_finished_cell_round_trips_and_a_failing_one_fails_alone(self, tmp_path: Path) -> None:
        good, failing = good_cell(), failing_cell()
        with self.executor() as executor:
            results = list(run_tasks(executor, [failing, good], tmp_path / "scratch"))
        by_id = {cell.cell_id: result for cell, result in results}
        assert sorted(by_id) == sorted([good.cell_id, failing.cell_id]) and len(results) == 2
        failed = by_id[failing.cell_id].record
        assert failed.status == "failed" and failed.cell_id == failing.cell_id
        assert "DivergenceError" in (failed.error or "") and "non-finite" in (failed.error or "")
        check_round_trip(by_id[good.cell_id], expected(good))
        _scratch_is_empty(tmp_path / "scratch")

    def test_a_reference_cell_runs_where_cells_run(self, tmp_path: Path) -> None:
        ref = reference_cell()
        with self.executor() as executor:
            ((cell, result),) = list(run_tasks(executor, [ref], tmp_path / "scratch"))
        assert cell.cell_id == ref.cell_id and result.record.is_reference
        check_round_trip(result, expected(ref))
        _scratch_is_empty(tmp_path / "scratch")


class KilledWorkerConformance:
    """For executors that run cells in worker processes: implement :meth:`executor` and :meth:`kill_workers`."""

    def executor(self) -> AbstractContextManager[Executor]:
        raise NotImplementedError("return a context manager yielding your executor")

    def kill_workers(self) -> int:
        """SIGKILL every worker process of this executor that is running now; how many were killed."""
        raise NotImplementedError("kill your executor's worker processes (e.g. with psutil) and count them")

    def test_a_killed_worker_is_a_failed_cell_and_the_others_finish(self, tmp_path: Path) -> None:
        from bench.store.record import record_problems

        good, slow = good_cell(), slow_cell()
        seen: dict[str, Any] = {}
        with self.executor() as executor:
            for cell, result in run_tasks(executor, [good, slow], tmp_path / "scratch"):
                seen[cell.cell_id] = result.record
                if cell.cell_id == good.cell_id:  # the slow cell is still training in its worker: kill it
                    deadline = time.time() + 60
                    while not self.kill_workers() and time.time() < deadline:
                        time.sleep(0.2)
        assert seen[good.cell_id].status == "ok"
        killed = seen[slow.cell_id]
        assert killed.status == "failed", "the slow cell cannot have finished 2000 epochs"
        assert killed.cell_id == slow.cell_id and killed.spec == slow.spec.to_dict()
        assert "SIGKILL" in (killed.error or "") or "KilledWorker" in (killed.error or ""), killed.error
        assert record_problems(killed.to_json()) == []


def _scratch_is_empty(scratch: Path) -> None:
    if scratch.exists():
        assert not any(scratch.iterdir()), "a collected cell leaves no scratch files"
