"""The cell protocol: what the driver, the executors and the workers know of any cell, method or reference.

A cell is a pure function of its resolved configuration: :meth:`Cell.run` takes a :class:`CellRun`
(where it runs: device, data options, a logger, stored weights to re-score) and returns a
:class:`CellResult` (the typed record, and beside it the log, freshly trained weights and what
encoding new text needs), so the same cell runs in this process, in a worker process pinned to a
GPU or on a cluster worker, and only the driver writes the store.  A cell travels to a worker as
JSON (:meth:`Cell.to_payload`, rebuilt by :func:`bench.cells.kinds.cell_from_payload`), carrying its
resolved configuration: a worker never resolves it again.

Two kinds implement it: :class:`bench.cells.method.MethodCell` (trains a method, or re-scores its
stored weights) and :class:`bench.cells.reference.ReferenceCell` (a non-learned reference row).
What differs between them is declared, not dispatched on: ``trains`` (a cell that trains nothing is
always cheap to recompute, so its failures are not stored, ``--resume cache-only`` computes it, and a
record scored by other scorers is recomputed).
"""
from __future__ import annotations

import json
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar, Mapping, Protocol

from bench.store.record import Record, to_json

#: The file beside a worker's result that holds freshly trained weights.
WEIGHTS_FILE = "model.pt"
RESULT_FILE = "result.json"


@dataclass(frozen=True)
class StoredModel:
    """Weights from the store and the training record that produced them: the cell re-scores them."""

    weights: bytes
    training: dict[str, Any] | None = None


@dataclass
class CellRun:
    """Where and how a cell runs (a settings object: the cell's own identity is in the cell)."""

    device: str = "cpu"
    #: corpus loader options (``data_dir``, ``cache_dir``), as plain JSON values
    corpus_options: Mapping[str, Any] = field(default_factory=dict)
    log: Callable[[str], None] = lambda s: None
    #: a terminal bar of training steps (in-process runs only)
    progress: bool = False
    stored: StoredModel | None = None


@dataclass
class CellResult:
    """What a cell hands back: its record, and what travels beside it but is not part of it."""

    record: Record
    log: str = ""
    #: freshly trained weights, stored by the driver under the training identity
    weights: bytes | None = None
    #: what encoding new text with the model needs (:mod:`bench.data.encoding_state`), stored beside the weights
    encoding: dict[str, Any] | None = None

    def write(self, folder: Path) -> None:
        """The result as files in ``folder`` (a worker's way back to the driver), each written atomically."""
        from bench.store.results import atomic_write_bytes, atomic_write_text

        if self.weights is not None:
            atomic_write_bytes(folder / WEIGHTS_FILE, self.weights)
        atomic_write_text(folder / RESULT_FILE, to_json({"record": self.record.to_json(), "log": self.log,
                                                          "encoding": self.encoding}))

    @classmethod
    def read(cls, folder: Path) -> "CellResult":
        data = json.loads((folder / RESULT_FILE).read_text(encoding="utf-8"))
        weights = folder / WEIGHTS_FILE
        return cls(Record.from_json(data["record"], check=False), data.get("log", ""),
                   weights.read_bytes() if weights.exists() else None, data.get("encoding"))


class Cell(Protocol):
    """What the harness needs of a cell of any kind."""

    #: "method" or "reference": the key that rebuilds the cell from its payload
    kind: ClassVar[str]
    #: False for a cell that trains nothing (see the module docstring)
    trains: ClassVar[bool]

    @property
    def cell_id(self) -> str: ...

    @property
    def dirname(self) -> str:
        """The cell's folder under ``runs/``."""

    @property
    def name(self) -> str:
        """The method's or the reference's name (a worker's log lines are tagged with it)."""

    @property
    def model_dirname(self) -> str | None:
        """The folder under ``models/`` of the weights it trains (None: it trains none)."""

    def describe(self) -> str: ...

    def to_payload(self) -> dict[str, Any]:
        """The cell as JSON, with its resolved configuration and its ``kind``."""

    def run(self, run: CellRun) -> CellResult:
        """Compute the record; never raises for a bad cell (a failed record), only for a user error."""

    def failed(self, error: str, log: str = "") -> CellResult:
        """The result of a cell that could not run (its worker died): a failed record with ``error``."""


def run_guarded(run: CellRun, body: Callable[[Callable[[str], None], str], CellResult],
                failed_record: Callable[..., Record]) -> CellResult:
    """``body(say, started)`` with the cell's log collected and its time measured, for every kind of cell.

    An exception becomes a failed record (``failed_record(status="failed", started=..., error=...,
    traceback=...)``): one bad cell never stops a sweep.  User errors (bad input the driver should have
    caught) and a full disk propagate: their cause is outside the cell, and a failed record would
    outlive its fix (``--retry-failed`` would be needed to run the cell again).
    """
    from bench.errors import is_environment_error
    from bench.store import provenance

    started, t0 = provenance.now(), time.perf_counter()
    lines: list[str] = []

    def say(msg: str) -> None:
        lines.append(msg)
        run.log(msg)

    try:
        result = body(say, started)
    except Exception as exc:  # a failed cell is a result, not a crash of the sweep
        if is_environment_error(exc):
            raise
        say(f"FAILED: {type(exc).__name__}: {exc}")
        result = CellResult(failed_record(status="failed", started=started, error=f"{type(exc).__name__}: {exc}",
                                          traceback=traceback.format_exc()))
    result.record.wall_seconds = round(time.perf_counter() - t0, 3)
    result.record.finished = provenance.now()
    result.log = "\n".join(lines)
    return result
