"""Entry point of a worker process: run one cell from a task file, write its result beside it.

``python -m bench.run.worker TASK.json FOLDER``.  The driver starts one per cell (fresh process: GPU
memory and CUDA state die with the cell) and alone writes the store.  The task carries the cell with
its resolved configuration (:meth:`bench.cells.protocol.Cell.to_payload`), so a worker never resolves
it again; the result (record, log, encoding state, and freshly trained weights as ``model.pt``) is
written to ``FOLDER`` (:meth:`bench.cells.protocol.CellResult.write`).
"""
from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Any, Callable

from bench.cells.protocol import CellResult, CellRun, StoredModel


def execute(task: dict[str, Any], log: Callable[[str], None] | None = None, progress: bool = False) -> CellResult:
    """Run the cell a task describes; ``progress`` shows its training steps on the terminal (in-process only)."""
    from bench.cells.kinds import cell_from_payload

    threads = os.environ.get("SPARSEBENCH_TORCH_THREADS")
    if threads:
        import torch

        torch.set_num_threads(int(threads))
    cell = cell_from_payload(task["cell"])
    if log is None:
        log = (lambda s: print(s, flush=True)) if task.get("verbose") else (lambda s: None)
    weights = task.get("weights")
    if weights is None and task.get("weights_path"):
        weights = Path(task["weights_path"]).read_bytes()
    stored = StoredModel(weights, task.get("training")) if weights is not None else None
    return cell.run(CellRun(task.get("device", "cpu"), task.get("corpus_options") or {}, log, progress, stored))


def main(argv: list[str]) -> int:
    # Ctrl-C in a terminal reaches the whole process group: the driver alone handles it (it kills its
    # workers on the way out), so a worker never races it into recording an interrupted cell as failed.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    task_path, folder = Path(argv[0]), Path(argv[1])
    execute(json.loads(task_path.read_text())).write(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
