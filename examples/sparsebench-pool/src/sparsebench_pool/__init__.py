"""An executor plugin for sparsebench: cells in a pool of fresh worker processes (``--executor pool --jobs N``).

Why a plugin: it shows everything a third party needs to run cells somewhere else without editing
sparsebench: a factory ``(ExecutorSettings) -> executor`` that refuses the settings it cannot honour,
an executor with an ``echo`` and ``run(tasks, scratch)`` that yields ``(cell, result)`` as cells
finish, never raising for one bad cell (``task.cell.failed(why)``), and one entry point.  A cell runs
in a worker through :func:`bench.run.worker.execute` on the task's payload, the cell with its resolved
configuration: method cells and reference rows alike.
"""
from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from bench.errors import UserError
from bench.run.backends import ExecutorSettings
from bench.run.executors import CellTask

__version__ = "0.1.0"


def _run(payload: dict[str, Any]) -> Any:
    """In a worker process: one cell, on CPU."""
    from bench.run.worker import execute

    return execute(payload)


class PoolExecutor:
    """Cells in ``workers`` fresh processes ("spawn": no state shared with the driver), one at a time each."""

    def __init__(self, workers: int, threads: int | None = None, echo: Callable[[str], None] = print) -> None:
        self.workers, self.threads, self.echo = workers, threads, echo

    def run(self, tasks: Sequence[CellTask], scratch: Path | None = None) -> Iterator[tuple[Any, Any]]:
        from bench.threads import cell_threads

        threads = cell_threads(self.workers, self.threads)
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(self.workers, mp_context=context, initializer=_pin, initargs=(threads,)) as pool:
            futures = {pool.submit(_run, t.payload("cpu")): t for t in tasks}
            try:
                for future in as_completed(futures):
                    task = futures[future]
                    try:
                        yield task.cell, future.result()
                    except Exception as exc:  # the worker died, or the task could not run: that cell failed
                        yield task.cell, task.cell.failed(f"pool worker failed: {type(exc).__name__}: {exc}")
            finally:  # interrupted, or the driver stopped reading: queued cells must not run on
                for future in futures:
                    future.cancel()


def _pin(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


def make_executor(settings: ExecutorSettings) -> PoolExecutor:
    """``--executor pool``: ``--jobs`` workers on CPU; ``--threads`` torch threads each."""
    if settings.options:
        raise UserError(f"--executor pool takes no --executor-option (got {', '.join(settings.options)})")
    if settings.scheduler or (settings.devices not in (None, "cpu")):
        raise UserError("--executor pool runs cells on this machine's CPU: --devices and --scheduler are not used")
    return PoolExecutor(settings.jobs, settings.threads)
