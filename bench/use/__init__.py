"""Using a trained cell: encode new text, see which sentences turn a dimension on, export, MTEB.

``from bench.use import load``; ``load(cell_id, results_dir=...)`` returns a
:class:`~bench.use.encoder.CellEncoder` whose ``encode(sentences, mode=None)`` gives ``[N, D]`` codes.
The command-line side is ``bench encode``, ``bench explore`` and ``bench export``
(docs/using-a-trained-cell.md).  Importing this package imports nothing heavy: torch comes with
:func:`load`.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.use.encoder import CellEncoder


def load(cell: str | Path, results_dir: str | Path | None = None, **options: Any) -> "CellEncoder":
    """See :func:`bench.use.encoder.load`."""
    from bench.use.encoder import load as _load

    return _load(cell, results_dir, **options)


__all__ = ["load"]
