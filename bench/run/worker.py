"""Entry point of a worker process: run one cell from a task file, write its result beside it.

``python -m bench.run.worker TASK.json FOLDER``.  The driver starts one per cell (fresh process: GPU
memory and CUDA state die with the cell) and alone writes the store.  The task carries the cell with
its resolved configuration (:meth:`bench.cells.protocol.Cell.to_payload`), so a worker never resolves
it again; the result (record, log, encoding state, and freshly trained weights as ``model.pt``) is
written to ``FOLDER`` (:meth:`bench.cells.protocol.CellResult.write`).

Bad input and a full disk are not the cell's failure: the worker writes their message to
``FOLDER/refused.json`` (and standard error) and exits with :data:`REFUSED_EXIT`; the driver raises it
as the run's error and records nothing (:func:`refusal_of`).
"""
from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Any, Callable

from bench.cells.protocol import CellResult, CellRun, StoredModel

#: The exit status of a worker that refused its cell (bad input, a full disk): 2, as ``bench`` itself.
REFUSED_EXIT = 2
REFUSED_FILE = "refused.json"


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
    from bench.errors import NoSpaceError, is_environment_error, is_out_of_space, no_space

    try:
        execute(json.loads(task_path.read_text())).write(folder)
    except Exception as exc:
        if not is_environment_error(exc):
            raise
        if is_out_of_space(exc):
            exc = no_space(Path(getattr(exc, "filename", None) or folder).parent, None)
        space = isinstance(exc, NoSpaceError)
        message = str(exc)
        print(f"error: {message}", file=sys.stderr, flush=True)
        try:
            (folder / REFUSED_FILE).write_text(json.dumps({"message": message, "no_space": space}))
        except OSError:
            pass  # the disk is full: the exit status and standard error say it
        return REFUSED_EXIT
    return 0


def refusal_of(code: int, folder: Path, output: str) -> Exception | None:
    """The user error a worker exited with (:data:`REFUSED_EXIT`), to be raised by the driver; None otherwise."""
    from bench.errors import NoSpaceError, UserError

    if code != REFUSED_EXIT:
        return None
    try:
        data = json.loads((folder / REFUSED_FILE).read_text(encoding="utf-8"))
        message, space = str(data["message"]), bool(data.get("no_space"))
    except (OSError, ValueError, KeyError, TypeError):
        said = [ln[len("error: "):] for ln in output.splitlines() if ln.startswith("error: ")]
        if not said:
            return None  # not our refusal (something else exited with 2): the cell's failure
        message, space = said[-1], "no space" in said[-1]
    return (NoSpaceError if space else UserError)(message)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
