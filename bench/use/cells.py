"""Finding a trained cell from what a user types: a cell folder, its ``record.json``, or a cell id prefix.

A cell id is what the leaderboard and ``bench run`` print (16 hex digits); any unique prefix of it, or
of the cell's folder name (``topk-synthetic-seed0-…``), names it inside a results folder.  The record
says which training identity the cell scored, and so where its weights are
(``models/<method>-<corpus>-seed<s>-<train id>/``).  Committed records (``results/reference``) keep
scores, not weights: for those the error names the ``bench run`` command that trains the same model.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.errors import UserError
from bench.cells.method import MethodCell
from bench.config.spec import RunSpec
from bench.store.results import RECORD, Store


@dataclass(frozen=True)
class StoredCell:
    """A scored cell's record and where its results folder is."""

    record: dict[str, Any]
    root: Path
    folder: Path

    @property
    def cell(self) -> MethodCell:
        """The cell with the config it was scored under (not resolved again by today's code)."""
        return MethodCell.from_record(self.record)

    @property
    def cell_id(self) -> str:
        return str(self.record["cell_id"])

    @property
    def model_folder(self) -> Path:
        return Store(self.root).model_dir(self.cell.model_dirname)

    def weights(self) -> Path:
        """The stored weights, checked against their checksum, or a :class:`UserError` that says how to get them."""
        store = Store(self.root)
        path = store.weights_path(self.cell.model_dirname)
        problem = store.weights_problem(self.cell.model_dirname) if path is not None else None
        if problem is not None:
            raise UserError(f"cell {self.cell_id}: its weights {path} are damaged ({problem}); "
                            f"train them again with `{retrain_command(self.record, self.root)}`")
        if path is None:
            raise UserError(f"cell {self.cell_id} ({self.cell.describe()}) has no trained weights: "
                            f"{self.model_folder / 'model.pt'} is absent (records keep scores, weights stay with "
                            f"whoever trained them); train it with `{retrain_command(self.record, self.root)}`"
                            + (f" ({note})" if (note := retrain_note(self.record)) else "")
                            + ", then use the cell from --results-dir results")
        return path


def find_cell(ref: str | Path, results_dir: str | Path | None = None) -> StoredCell:
    """The cell ``ref`` names: a cell folder, a ``record.json``, or a cell id / folder name prefix in ``results_dir``."""
    text = str(ref).strip()
    if not text:
        raise UserError("empty cell: give a cell id (or a unique prefix), a cell folder or its record.json")
    path = Path(text).expanduser()
    if path.is_file() or (path.is_dir() and (path / RECORD).is_file()):
        record_path = path if path.is_file() else path / RECORD
        runs = record_path.parent.parent
        root = Path(results_dir) if results_dir is not None else (runs.parent if runs.name == "runs" else runs)
        return StoredCell(_read(record_path), root, record_path.parent)
    if path.is_dir() or "/" in text:
        raise UserError(f"{text!r} is not a cell folder (no {RECORD} in it) nor a record file; give a cell id, "
                        "a folder under <results>/runs/ or its record.json")
    root = Path(results_dir if results_dir is not None else "results")
    runs = Store(root).runs
    if not runs.is_dir():
        raise UserError(f"no cell {text!r}: {runs} does not exist; pass --results-dir, the folder `bench run "
                        "--results-dir` wrote (it holds runs/ and models/)")
    folders = sorted(p for p in runs.iterdir() if p.is_dir() and (p / RECORD).is_file())
    hits = [p for p in folders if p.name.rsplit("-", 1)[-1].startswith(text) or p.name.startswith(text)]
    trained = [p for p in hits if not p.name.startswith("ref-")]  # reference rows have no model to use
    hits = trained or hits
    if not hits:
        from sparsebench.hints import did_you_mean

        ids = [p.name.rsplit("-", 1)[-1] for p in folders]
        raise UserError(f"no cell {text!r} in {runs}{did_you_mean(text, ids)}; {len(folders)} cells there "
                        f"(`bench leaderboard --results-dir {root}` lists them with their ids)")
    if len(hits) > 1:
        shown = ", ".join(p.name for p in hits[:5]) + (f", … ({len(hits)} in all)" if len(hits) > 5 else "")
        raise UserError(f"cell {text!r} is ambiguous in {runs}: it matches {shown}; give more of the cell id")
    return StoredCell(_read(hits[0] / RECORD), root, hits[0])


def _read(path: Path) -> dict[str, Any]:
    from bench.store.results import record_problems
    import json

    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{path} is not a readable record ({exc})") from None
    problems = record_problems(record)
    if problems:
        raise UserError(f"{path} is a damaged record: {problems[0]}")
    if record.get("reference"):
        raise UserError(f"{path} is the reference row {record['reference'].get('name', '?')!r}, not a trained cell: "
                        "it has no model to encode with")
    if record.get("status") != "ok":
        raise UserError(f"cell {record.get('cell_id')} failed ({str(record.get('error', '?')).splitlines()[0]}); "
                        "a failed cell has no model: rerun it with `bench run ... --retry-failed`")
    return record


def retrain_command(record: dict[str, Any], root: Path) -> str:
    """The ``bench run`` command that trains the model this record scored, from its spec.

    A built-in variant is named as a method (its settings come with it); an experiment's own variant
    needs its experiment file.  The command writes to ``results`` (the default folder) unless the
    record's own folder is that, where ``--resume always`` retrains despite the existing record.
    """
    from bench.config.variants import lookup

    spec = record["spec"]
    variant = spec.get("variant", "")
    builtin = lookup(variant) if variant else None
    implied = set(builtin.overrides()) if builtin else set()
    parts = ["bench", "run", "-m", variant or spec["method"], "-c", spec["corpus"], "--seeds", f"{int(spec['seed'])},",
             "--preset", spec["preset"]]
    if spec.get("train_split", "train") != "train":
        parts += ["--train-split", spec["train_split"]]
    if spec.get("encoder"):
        parts += ["--encoder", spec["encoder"]]
    for key, value in spec.get("overrides", []):
        if (key, value) not in implied:
            parts += ["--set", f"{key}={value}"]
    if variant and builtin is None:
        parts += ["--config", "EXPERIMENT.toml"]
    parts += ["--results-dir", "results", "--no-references"]
    if root.resolve() == Path("results").resolve():
        parts += ["--resume", "always"]
    return shlex.join(parts)


def retrain_note(record: dict[str, Any]) -> str:
    """What the retrain command cannot promise: an experiment's variant, or a training protocol changed since."""
    from bench.config.variants import lookup

    spec = record["spec"]
    variant = spec.get("variant", "")
    notes = []
    if variant and lookup(variant) is None:
        notes.append(f"EXPERIMENT.toml is the experiment file that declares variant {variant!r}")
    try:
        now = MethodCell.resolve(RunSpec.from_dict(spec)).train_id
    except Exception:  # noqa: BLE001 - an encoder or plugin absent here: the command is still the right one
        now = None
    if now is not None and now != record.get("train_id", now):
        notes.append(f"today's code trains it under training id {now}, not {record['train_id']} (the protocol or a "
                     "default changed since): the new model is not the one this record scored")
    return "; ".join(notes)
