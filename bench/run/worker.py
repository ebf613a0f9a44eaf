"""Entry point of a worker process: run one cell from a task file, write its record to a result file.

``python -m bench.run.worker TASK.json RESULT.json``.  The driver starts one per cell (fresh process:
GPU memory and CUDA state die with the cell) and alone writes the store.  The task carries the
driver's resolved config, so a worker never resolves it again; freshly trained weights go to
``model.pt`` beside the result file.
"""
from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Any, Callable

#: The file beside a worker's result that holds freshly trained weights.
WEIGHTS_FILE = "model.pt"


def execute(task: dict[str, Any], log: Callable[[str], None] | None = None, progress: bool = False
            ) -> dict[str, Any]:
    """Run the cell a task describes; ``progress`` shows its training steps on the terminal (in-process only)."""
    from bench.cells.method import run_cell
    from bench.config.spec import RunSpec

    threads = os.environ.get("SPARSEBENCH_TORCH_THREADS")
    if threads:
        import torch

        torch.set_num_threads(int(threads))
    spec = RunSpec.from_dict(task["spec"], task.get("config"))
    if log is None:
        log = (lambda s: print(s, flush=True)) if task.get("verbose") else (lambda s: None)
    weights = task.get("weights")
    if weights is None and task.get("weights_path"):
        weights = Path(task["weights_path"]).read_bytes()
    return run_cell(spec, device=task.get("device", "cpu"), corpus_options=task.get("corpus_options"), log=log,
                    weights=weights, training=task.get("training"), progress=progress)


def main(argv: list[str]) -> int:
    # Ctrl-C in a terminal reaches the whole process group: the driver alone handles it (it kills its
    # workers on the way out), so a worker never races it into recording an interrupted cell as failed.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    task_path, result_path = Path(argv[0]), Path(argv[1])
    record = execute(json.loads(task_path.read_text()))
    from bench.store.results import atomic_write_bytes, atomic_write_text, to_json

    weights = record.pop("_weights", None)
    if weights is not None:
        atomic_write_bytes(result_path.with_name(WEIGHTS_FILE), weights)
    atomic_write_text(result_path, to_json(record))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
