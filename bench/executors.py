"""Where cells run: in this process, in fresh local worker processes on device slots, or on a Dask cluster.

Every executor takes cell tasks and yields ``(spec, record)`` as cells finish; none writes the store.
A worker that dies (killed, out of memory) yields a failed record with its exit status and the tail
of its output, so one bad cell never stops a sweep.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Protocol, Sequence

from bench.slots import Slot, SlotAllocator, cell_threads
from bench.spec import RunSpec
from bench.worker import WEIGHTS_FILE


@dataclass(frozen=True)
class CellTask:
    spec: RunSpec
    corpus_options: dict[str, Any]
    verbose: bool = False
    #: Stored weights of this cell's training identity: the cell re-scores them instead of training.
    weights_path: str | None = None
    training: dict[str, Any] | None = None

    def payload(self, device: str, inline_weights: bool = False) -> dict[str, Any]:
        """What a worker needs: the spec *and its resolved config* (never resolved twice), data options,
        device, and the stored weights to re-score (a path, or the bytes for workers without the disk)."""
        opts = {k: (str(v) if isinstance(v, Path) else v) for k, v in self.corpus_options.items()}
        out: dict[str, Any] = {"spec": self.spec.to_dict(), "config": self.spec.config, "corpus_options": opts,
                               "device": device, "verbose": self.verbose}
        if self.weights_path:
            out["training"] = self.training
            if inline_weights:
                out["weights"] = Path(self.weights_path).read_bytes()
            else:
                out["weights_path"] = self.weights_path
        return out


class Executor(Protocol):
    def run(self, tasks: Sequence[CellTask]) -> Iterator[tuple[RunSpec, dict[str, Any]]]: ...


def failed_record(spec: RunSpec, error: str, log: str = "") -> dict[str, Any]:
    from bench.provenance import now

    return {"cell_id": spec.cell_id, "spec": spec.to_dict(), "config": spec.config, "status": "failed",
            "error": error, "traceback": "", "finished": now(), "log": log}


class InProcessExecutor:
    """Cells one after another in this process (``--jobs 1`` on CPU; tests)."""

    def __init__(self, device: str = "cpu", echo=print, threads: int | None = None) -> None:
        self.device, self.echo, self.threads = device, echo, threads

    def run(self, tasks: Sequence[CellTask]) -> Iterator[tuple[RunSpec, dict[str, Any]]]:
        from bench.worker import execute

        import torch

        before = torch.get_num_threads()
        if self.device == "cpu":
            torch.set_num_threads(cell_threads(1, self.threads))
        try:
            for t in tasks:
                log = (lambda s, p=t.spec.method: self.echo(f"    [{p}] {s}")) if t.verbose else (lambda s: None)
                yield t.spec, execute(t.payload(self.device), log=log)
        finally:
            torch.set_num_threads(before)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: a killed driver takes its workers
    except OSError:
        pass


class SubprocessExecutor:
    """One fresh ``python -m bench.worker`` process per cell, at most one per free device slot."""

    def __init__(self, allocator: SlotAllocator, echo=print, poll: float = 0.1, threads: int | None = None) -> None:
        self.alloc, self.echo, self.poll, self.threads = allocator, echo, poll, threads

    def run(self, tasks: Sequence[CellTask]) -> Iterator[tuple[RunSpec, dict[str, Any]]]:
        pending = deque(tasks)
        running: dict[subprocess.Popen, tuple[CellTask, Slot, Path]] = {}
        tmp = Path(tempfile.mkdtemp(prefix="sparsebench-cells-"))
        threads = self.alloc.cpu_threads(self.threads)
        try:
            while pending or running:
                while pending and (slot := self.alloc.acquire()) is not None:
                    task = pending.popleft()
                    folder = tmp / task.spec.cell_id
                    folder.mkdir()
                    (folder / "task.json").write_text(json.dumps(task.payload(slot.worker_device)))
                    out = open(folder / "output.txt", "w")
                    proc = subprocess.Popen(
                        [sys.executable, "-m", "bench.worker", str(folder / "task.json"), str(folder / "result.json")],
                        env={**os.environ, **slot.env(threads)}, stdout=out, stderr=subprocess.STDOUT,
                        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)
                    out.close()
                    running[proc] = (task, slot, folder)
                done = [p for p in running if p.poll() is not None]
                if not done:
                    time.sleep(self.poll)
                    continue
                for proc in done:
                    task, slot, folder = running.pop(proc)
                    self.alloc.release(slot)
                    yield task.spec, self._collect(task, slot, proc.returncode, folder)
        finally:
            for proc in running:
                proc.kill()
            shutil.rmtree(tmp, ignore_errors=True)

    def _collect(self, task: CellTask, slot: Slot, code: int, folder: Path) -> dict[str, Any]:
        output = (folder / "output.txt").read_text(errors="replace") if (folder / "output.txt").exists() else ""
        if task.verbose and output.strip():
            for line in output.strip().splitlines():
                self.echo(f"    [{task.spec.method} on {slot.device}] {line}")
        result = folder / "result.json"
        if code == 0 and result.exists():
            record = json.loads(result.read_text())
            record.setdefault("provenance", {})["slot"] = f"{slot.device}#{slot.index}"
            weights = folder / WEIGHTS_FILE
            if weights.exists():
                record["_weights"] = weights.read_bytes()
            return record
        if code < 0:
            name = signal.Signals(-code).name
            why = f"worker process killed by {name}" + (" (out of memory?)" if name == "SIGKILL" else "")
        else:
            why = f"worker process exited with status {code}"
        tail = "\n".join(output.strip().splitlines()[-20:])
        return failed_record(task.spec, f"{why} on {slot.device}; last output:\n{tail}", output)


def _remote_cell(payload: dict[str, Any]) -> dict[str, Any]:
    """Runs on a Dask worker: the worker's own device (its one GPU, or CPU)."""
    from bench.worker import execute

    if payload.get("device") == "auto":
        import torch

        payload = {**payload, "device": "cuda" if torch.cuda.is_available() else "cpu"}
    return execute(payload)


class DaskExecutor:
    """Cells as tasks on an existing Dask cluster; records come back to the driver, workers share no disk."""

    def __init__(self, scheduler: str, echo=print) -> None:
        self.scheduler, self.echo = scheduler, echo

    def run(self, tasks: Sequence[CellTask]) -> Iterator[tuple[RunSpec, dict[str, Any]]]:
        from bench.errors import UserError

        try:
            from distributed import Client, as_completed
        except ImportError:
            raise UserError("--backend dask needs the `distributed` package: pip install 'sparsebench[dask]'") from None
        try:
            client = Client(self.scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise UserError(f"cannot reach the Dask scheduler at {self.scheduler!r}: {exc}") from None
        try:
            futures = {client.submit(_remote_cell, t.payload("auto", inline_weights=True), pure=False,
                                     key=f"cell-{t.spec.dirname}"): t for t in tasks}
            for fut in as_completed(futures):
                task = futures[fut]
                try:
                    yield task.spec, fut.result()
                except Exception as exc:  # the worker died or the task could not run
                    yield task.spec, failed_record(task.spec, f"dask task failed: {type(exc).__name__}: {exc}")
        finally:
            client.close()
