"""Every kind of cell by its ``kind`` key: how a worker rebuilds the cell a payload describes."""
from __future__ import annotations

from typing import Any

from bench.cells.method import MethodCell
from bench.cells.protocol import Cell
from bench.cells.reference import ReferenceCell

KINDS: dict[str, Any] = {MethodCell.kind: MethodCell, ReferenceCell.kind: ReferenceCell}


def cell_from_payload(payload: dict[str, Any]) -> Cell:
    """The cell ``payload`` (:meth:`Cell.to_payload`) describes, with the configuration it carries."""
    kind = payload.get("kind", MethodCell.kind)
    if kind not in KINDS:
        raise ValueError(f"unknown cell kind {kind!r} in a task; known: {', '.join(KINDS)}")
    return KINDS[kind].from_payload(payload)
