"""Where cells run: in this process, in fresh local worker processes on device slots, or on a Dask cluster.

Every executor takes cell tasks (method and reference cells alike) and yields ``(cell, result)`` as
cells finish; none writes the store.  A worker that dies (killed, out of memory) yields a failed
result with its exit status and the tail of its output (:meth:`bench.cells.protocol.Cell.failed`),
so one bad cell never stops a sweep.  Executors are chosen by name (``--executor``) from
:mod:`bench.run.backends`, where plugins add their own; :mod:`bench.run.conformance` is the suite
every executor passes.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol, Sequence

from bench.cells.protocol import RESULT_FILE, Cell, CellResult
from bench.run.slots import Slot, SlotAllocator
from bench.threads import cell_threads, pinned_threads


@dataclass(frozen=True)
class CellTask:
    cell: Cell
    corpus_options: dict[str, Any]
    verbose: bool = False
    #: Stored weights of this cell's training identity: the cell re-scores them instead of training.
    weights_path: str | None = None
    training: dict[str, Any] | None = None

    def payload(self, device: str, inline_weights: bool = False) -> dict[str, Any]:
        """What a worker needs: the cell *with its resolved config* (never resolved twice), data options,
        device, and the stored weights to re-score (a path, or the bytes for workers without the disk)."""
        opts = {k: (str(v) if isinstance(v, Path) else v) for k, v in self.corpus_options.items()}
        out: dict[str, Any] = {"cell": self.cell.to_payload(), "corpus_options": opts, "device": device,
                               "verbose": self.verbose}
        if self.weights_path:
            out["training"] = self.training
            if inline_weights:
                out["weights"] = Path(self.weights_path).read_bytes()
            else:
                out["weights_path"] = self.weights_path
        return out


class Executor(Protocol):
    """What the driver needs from a backend (built-in or plugin: see ``docs/running-at-scale.md``).

    ``echo`` prints one line for the user; the driver replaces it before ``run`` so that lines and
    its progress bar do not tear each other.  ``run`` yields one ``(cell, result)`` per task, in any
    order, as cells finish: a result from :func:`bench.run.worker.execute`, or ``task.cell.failed(why)``
    for a cell whose worker died; it never raises for one bad cell.  ``scratch`` is a folder of this run
    (under the results folder, removed by the driver when the run ends) for task and result files.
    """

    echo: Callable[[str], None]

    def run(self, tasks: Sequence[CellTask], scratch: Path) -> Iterator[tuple[Cell, CellResult]]: ...


class InProcessExecutor:
    """Cells one after another in this process (``--jobs 1`` on CPU; tests).

    ``progress``: a per-cell bar of training steps and epochs with an ETA; ``None`` shows it when
    standard output is a terminal (the bar itself stays quiet when standard error is not one).
    """

    def __init__(self, device: str = "cpu", echo: Callable[[str], None] = print, threads: int | None = None,
                 progress: bool | None = None) -> None:
        self.device, self.echo, self.threads = device, echo, threads
        self.progress = _stdout_is_a_terminal() if progress is None else progress

    def run(self, tasks: Sequence[CellTask], scratch: Path | None = None) -> Iterator[tuple[Cell, CellResult]]:
        from bench.run.worker import execute

        with pinned_threads(cell_threads(1, self.threads) if self.device == "cpu" else None):
            for t in tasks:
                log = (lambda s, p=t.cell.name: self.echo(f"    [{p}] {s}")) if t.verbose else (lambda s: None)
                yield t.cell, execute(t.payload(self.device), log=log, progress=self.progress)


def _stdout_is_a_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):  # replaced or closed stdout
        return False


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: a killed driver takes its workers
    except OSError:
        pass


class SubprocessExecutor:
    """One fresh ``python -m bench.run.worker`` process per cell, at most one per free device slot."""

    def __init__(self, allocator: SlotAllocator, echo: Callable[[str], None] = print, poll: float = 0.1,
                 threads: int | None = None) -> None:
        self.alloc, self.echo, self.poll, self.threads = allocator, echo, poll, threads

    def run(self, tasks: Sequence[CellTask], scratch: Path) -> Iterator[tuple[Cell, CellResult]]:
        """Task, output and result files of each cell live in ``scratch/<cell id>/`` until it is collected."""
        pending = deque(tasks)
        running: dict[subprocess.Popen, tuple[CellTask, Slot, Path]] = {}
        threads = self.alloc.cpu_threads(self.threads)
        try:
            while pending or running:
                while pending and (slot := self.alloc.acquire()) is not None:
                    task = pending.popleft()
                    folder = Path(scratch) / task.cell.cell_id
                    folder.mkdir(parents=True)
                    (folder / "task.json").write_text(json.dumps(task.payload(slot.worker_device)))
                    out = open(folder / "output.txt", "w")
                    proc = subprocess.Popen(
                        [sys.executable, "-m", "bench.run.worker", str(folder / "task.json"), str(folder)],
                        env={**os.environ, **slot.env(threads)}, stdout=out, stderr=subprocess.STDOUT,
                        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)
                    out.close()
                    running[proc] = (task, slot, folder)
                done = [p for p in running if p.poll() is not None]
                if not done:
                    time.sleep(self.poll)
                    continue
                for proc in sorted(done, key=lambda p: p.returncode == -signal.SIGTERM):  # finished ones first
                    if proc.returncode == -signal.SIGTERM:  # the job's process group is being stopped
                        from bench.errors import Terminated

                        raise Terminated  # not the cell's failure: it is left for --resume
                    task, slot, folder = running.pop(proc)
                    self.alloc.release(slot)
                    result = self._collect(task, slot, proc.returncode, folder)
                    shutil.rmtree(folder, ignore_errors=True)
                    yield task.cell, result
        finally:  # interrupted, or the driver stopped reading: no worker outlives the run
            for proc in running:
                proc.kill()
            for proc in running:
                proc.wait()

    def _collect(self, task: CellTask, slot: Slot, code: int, folder: Path) -> CellResult:
        output = (folder / "output.txt").read_text(errors="replace") if (folder / "output.txt").exists() else ""
        if task.verbose and output.strip():
            for line in output.strip().splitlines():
                self.echo(f"    [{task.cell.name} on {slot.device}] {line}")
        from bench.run.worker import refusal_of

        refusal = refusal_of(code, folder, output)
        if refusal is not None:  # bad input or a full disk: the run's error, never the cell's record
            raise refusal
        if code == 0 and (folder / RESULT_FILE).exists():
            result = CellResult.read(folder)
            result.record.provenance = {**(result.record.provenance or {}), "slot": f"{slot.device}#{slot.index}"}
            return result
        if code < 0:
            name = signal.Signals(-code).name
            why = f"worker process killed by {name}" + (" (out of memory?)" if name == "SIGKILL" else "")
        else:
            why = f"worker process exited with status {code}"
        tail = "\n".join(output.strip().splitlines()[-20:])
        return task.cell.failed(f"{why} on {slot.device}; last output:\n{tail}", output)


#: One cell at a time per process: cells seed torch's global random generator, which the threads of
#: a process share, so two cells in two threads of one Dask worker (``--nthreads 2``, or a
#: ``processes=False`` cluster) would draw from each other's streams and give other numbers.
_CELL_LOCK = threading.Lock()


def _remote_cell(payload: dict[str, Any]) -> CellResult:
    """Runs on a Dask worker: the worker's own device (its one GPU, or CPU)."""
    from bench.run.worker import execute

    if payload.get("device") == "auto":
        import torch

        payload = {**payload, "device": "cuda" if torch.cuda.is_available() else "cpu"}
    with _CELL_LOCK:
        return execute(payload)


class DaskExecutor:
    """Cells as tasks on an existing Dask cluster; records come back to the driver, workers share no disk."""

    def __init__(self, scheduler: str, echo: Callable[[str], None] = print) -> None:
        self.scheduler, self.echo = scheduler, echo

    def run(self, tasks: Sequence[CellTask], scratch: Path | None = None) -> Iterator[tuple[Cell, CellResult]]:
        from bench.errors import UserError, is_environment_error

        try:
            from distributed import Client, as_completed
        except ImportError:
            raise UserError("--executor dask needs the `distributed` package: pip install 'sparsebench[dask]'") from None
        try:
            client = Client(self.scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise UserError(f"cannot reach the Dask scheduler at {self.scheduler!r}: {exc}") from None
        futures: dict[Any, CellTask] = {}
        try:
            futures = {client.submit(_remote_cell, t.payload("auto", inline_weights=True), pure=False,
                                     key=f"cell-{t.cell.dirname}"): t for t in tasks}
            for fut in as_completed(futures):
                task = futures[fut]
                try:
                    result = fut.result()
                except Exception as exc:  # the worker died or the task could not run
                    if is_environment_error(exc):
                        raise  # bad input or a full disk: the run's error, never the cell's record
                    result = task.cell.failed(f"dask task failed: {type(exc).__name__}: {exc}")
                yield task.cell, result
        finally:  # interrupted, or the driver stopped reading: cells still queued must not run on
            unfinished = [f for f in futures if not f.done()]
            if unfinished:
                client.cancel(unfinished)
            client.close()
