"""The run record: one typed value for what a cell (method or reference) produced, and its JSON on disk.

Every cell, whatever its kind and wherever it ran, ends as a :class:`Record`; the driver alone writes
it (``runs/<dirname>/record.json``).  The JSON keeps the shape records have always had (the keys
below, absent when empty), so every stored and committed record reads back unchanged, and
:data:`RECORD_SCHEMA` is checked on the JSON in one place, :func:`record_problems`, whoever reads it.
Keys a record holds that this class does not name (added by a later version, or by a migration) are
kept in :attr:`Record.extra` and written back as they were.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

#: What every record must look like (JSON Schema); checked in one place, :func:`record_problems`.
RECORD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["cell_id", "spec", "config", "status"],
    "properties": {
        "cell_id": {"type": "string"},
        "status": {"enum": ["ok", "failed"]},
        "spec": {"type": "object", "required": ["method", "corpus", "seed", "preset"],
                 "properties": {"method": {"type": "string"}, "corpus": {"type": "string"},
                                "seed": {"type": "integer"}, "preset": {"type": "string"}}},
        "config": {"type": "object", "required": ["method_config", "train"]},
        "error": {"type": "string"},
    },
    "if": {"properties": {"status": {"const": "ok"}}},
    "then": {"required": ["metrics", "provenance"],
             "properties": {"metrics": {"type": "object", "required": ["modes"],
                                        "properties": {"modes": {"type": "object", "minProperties": 1,
                                                                 "additionalProperties": {"type": "object"}}}},
                            "provenance": {"type": "object"}}},
    "else": {"required": ["error"]},
}


#: Keys of ``metrics.reconstruction`` that are not scores (its kind and its analysis).
_RECON_NOT_SCORES = ("recon_kind", "analysis", "terms")


def record_problems(record: Any) -> list[str]:
    """Why ``record`` (its JSON) is not a valid run record (empty when it is): its shape
    (:data:`RECORD_SCHEMA`), then each stored score's type and range (:func:`tasks.metrics.value_problems`)."""
    import jsonschema

    from tasks.metrics import value_problems

    validator = jsonschema.Draft202012Validator(RECORD_SCHEMA)
    problems = [f"{'/'.join(map(str, e.absolute_path)) or 'record'}: {e.message}"
                for e in sorted(validator.iter_errors(record), key=lambda e: list(e.absolute_path))]
    if problems or record.get("status") != "ok":
        return problems
    metrics = record["metrics"]
    for mode, scores in metrics["modes"].items():
        problems += value_problems(scores, f"metrics/modes/{mode}/")
    recon = metrics.get("reconstruction") or {}
    problems += value_problems({k: v for k, v in recon.items() if k not in _RECON_NOT_SCORES},
                               "metrics/reconstruction/")
    return problems


class RecordError(ValueError):
    """JSON that is not a valid record; the message lists the first problems."""


@dataclass
class Record:
    """What one cell produced: its identity, its resolved config, its status and, when ok, its numbers.

    ``spec`` is what was asked for (method or reference name, corpus, seed, preset, ...), ``config``
    what it resolved to (the id is a hash of it); ``reference`` marks a reference row (its name,
    track, description); ``training`` is the training part of a trained cell (also stored beside
    its weights); ``provenance`` says where the numbers came from.
    """

    cell_id: str
    spec: dict[str, Any]
    config: dict[str, Any]
    status: str
    train_id: str | None = None
    scoring_id: str | None = None
    reference: dict[str, Any] | None = None
    started: str | None = None
    finished: str | None = None
    wall_seconds: float | None = None
    scorers: list[str] | None = None
    training: dict[str, Any] | None = None
    metrics: dict[str, Any] | None = None
    provenance: dict[str, Any] | None = None
    error: str | None = None
    traceback: str | None = None
    migrations: list[dict[str, Any]] | None = None
    #: keys of the JSON that no field above names, kept verbatim
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def is_reference(self) -> bool:
        return bool(self.reference)

    @property
    def label(self) -> str:
        """The row name a table shows: the reference's, the variant's, else the method's."""
        return str(self.spec.get("variant") or self.spec["method"])

    @property
    def rescored(self) -> bool:
        return bool(((self.provenance or {}).get("scoring") or {}).get("rescored", False))

    def first_error_line(self) -> str:
        return (self.error or "?").splitlines()[0] if self.error else "?"

    def to_json(self) -> dict[str, Any]:
        """The record as stored: every field that is set, then the extra keys (never ``extra`` itself)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
               if f.name != "extra" and getattr(self, f.name) is not None}
        out.update(self.extra)
        return out

    @classmethod
    def from_json(cls, data: Any, *, check: bool = True) -> "Record":
        """The record in ``data`` (parsed JSON); with ``check``, a :class:`RecordError` when it breaks the schema."""
        if check:
            problems = record_problems(data)
            if problems:
                raise RecordError("; ".join(problems[:3]))
        names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        known = {k: v for k, v in data.items() if k in names}
        return cls(**known, extra={k: v for k, v in data.items() if k not in names})

    def dumps(self) -> str:
        return to_json(self.to_json())


def to_json(record: dict[str, Any]) -> str:
    """Canonical compact JSON (sorted keys, no spaces): one record a line; numpy scalars and arrays as numbers."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), default=_jsonable)


def _jsonable(obj: Any) -> Any:
    if hasattr(obj, "item"):
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    raise TypeError(f"not JSON-serialisable: {type(obj).__name__}")
