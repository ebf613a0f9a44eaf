"""Run records on disk: one folder per cell under ``<results>/runs/``, written atomically.

A record is ``record.json`` (spec, resolved config, metrics, provenance, status) plus ``log.txt``.
Writes go to a temporary file in the same folder and are moved into place with ``os.replace``, so a
run killed at any moment leaves either the old record or the new one, never half of one.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

RECORD = "record.json"
LOG = "log.txt"


def atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Store:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.runs = self.root / "runs"

    def cell_dir(self, dirname: str) -> Path:
        return self.runs / dirname

    def load(self, dirname: str) -> dict[str, Any] | None:
        path = self.cell_dir(dirname) / RECORD
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None  # unreadable: treated as missing, the cell is run again

    def save(self, dirname: str, record: dict[str, Any], log: str = "") -> Path:
        folder = self.cell_dir(dirname)
        if log:
            atomic_write_text(folder / LOG, log)
        atomic_write_text(folder / RECORD, to_json(record))
        return folder

    def records(self) -> Iterator[dict[str, Any]]:
        if not self.runs.is_dir():
            return
        for folder in sorted(self.runs.iterdir()):
            rec = self.load(folder.name)
            if rec is not None:
                rec.setdefault("dirname", folder.name)
                yield rec


def to_json(record: dict[str, Any]) -> str:
    return json.dumps(record, indent=2, sort_keys=True, default=_jsonable)


def _jsonable(obj: Any) -> Any:
    if hasattr(obj, "item"):
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    raise TypeError(f"not JSON-serialisable: {type(obj).__name__}")
