"""Re-key stored records after a change of what a cell's id is made of, without re-running them.

Why: a record's folder name and ids are digests of its config.  When the config schema drops a
field that never changed a number (here: the sentence-transformers and transformers versions,
which moved from the cell's identity to its provenance, as torch's version always was), every
stored embedding cell would otherwise look missing, and ``--resume missing`` would train it again
(hours for a published grid).  A migration is the honest alternative: it changes only ids and
folder names, checks that each old id is what the old rule gave, and writes what it did into the
record (``migrations``: the rule, the old ids, the date), so a reader can trace the old folder.

``python -m bench.paper.migrate RESULTS_DIR [--dry-run]``: idempotent (a migrated record is left as it is).
"""
from __future__ import annotations

import copy
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.encoders.identity import LOCATION_FIELDS, identity_key
from bench.store.provenance import ENCODER_LIBRARIES
from bench.config.spec import SCORING_KEYS, digest
from bench.store.results import RECORD, TRAINING, Store, atomic_write_text, to_json

#: What this migration removed from the identity of a frozen encoder.
VERSION_FIELDS = tuple(ENCODER_LIBRARIES)
RULE = "encoder-library-versions-to-provenance"


@dataclass(frozen=True)
class Move:
    old: str
    new: str
    kind: str  # "cell" or "reference"


class MigrationError(ValueError):
    """A record whose stored id is not what the old rule gives: left untouched, and named."""


def _strip(encoder: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in encoder.items() if k not in VERSION_FIELDS}


def _rekey_training(training: dict[str, Any], train_id: str) -> dict[str, Any]:
    """A training record (in a cell's record, or beside stored weights) under the new training id."""
    if isinstance(training.get("config", {}).get("encoder"), dict):
        training["config"]["encoder"] = _strip(training["config"]["encoder"])
    training["train_id"] = train_id
    return training


def migrate_record(record: dict[str, Any], dirname: str) -> tuple[dict[str, Any], str] | None:
    """(the re-keyed record, its new folder name), or None when it needs no migration."""
    if "reference" in record:
        return _migrate_reference(record, dirname)
    encoder = record["config"].get("encoder")
    if not isinstance(encoder, dict) or not any(k in encoder for k in VERSION_FIELDS):
        return None
    old_config = record["config"]
    if digest(old_config) != record["cell_id"]:
        raise MigrationError(f"{dirname}: cell_id {record['cell_id']} is not the digest of its config")
    config = {**old_config, "encoder": _strip(encoder)}
    training = {k: v for k, v in config.items() if k not in SCORING_KEYS}
    new = copy.deepcopy(record)
    new["config"], new["cell_id"], new["train_id"] = config, digest(config), digest(training)
    if isinstance(new.get("training"), dict):
        _rekey_training(new["training"], new["train_id"])
    new.setdefault("migrations", []).append({
        "rule": RULE, "date": time.strftime("%Y-%m-%d"), "old_cell_id": record["cell_id"],
        "old_train_id": record.get("train_id"), "old_dirname": dirname,
        "removed_from_config": {k: encoder[k] for k in VERSION_FIELDS if k in encoder}})
    return new, _renamed(dirname, record["cell_id"], new["cell_id"])


def _migrate_reference(record: dict[str, Any], dirname: str) -> tuple[dict[str, Any], str] | None:
    checksums = record.get("provenance", {}).get("checksums", {})
    identity = record.get("provenance", {}).get("encoder", {}).get("encoder")
    if "encoder" not in checksums or not isinstance(identity, dict):
        return None
    cache_identity = {k: v for k, v in identity.items() if k not in LOCATION_FIELDS}
    if not any(k in cache_identity for k in VERSION_FIELDS) or checksums["encoder"] != identity_key(cache_identity):
        return None  # keyed by the model identity already (or by a user encoder's own identity)
    if digest({**record["config"], "checksums": checksums}) != record["cell_id"]:
        raise MigrationError(f"{dirname}: reference id {record['cell_id']} is not the digest of its config")
    new_checksums = {**checksums, "encoder": identity_key(_strip(cache_identity))}
    new = copy.deepcopy(record)
    new["provenance"]["checksums"] = new_checksums
    new["cell_id"] = digest({**record["config"], "checksums": new_checksums})
    new.setdefault("migrations", []).append({
        "rule": RULE, "date": time.strftime("%Y-%m-%d"), "old_cell_id": record["cell_id"],
        "old_dirname": dirname, "old_encoder_key": checksums["encoder"]})
    return new, _renamed(dirname, record["cell_id"], new["cell_id"])


def _renamed(dirname: str, old_id: str, new_id: str) -> str:
    if not dirname.endswith(f"-{old_id}"):
        raise MigrationError(f"{dirname}: the folder name does not end in its id {old_id}")
    return dirname[: -len(old_id)] + new_id


def migrate(results_dir: Path, *, dry_run: bool = False) -> list[Move]:
    """Re-key every record under ``results_dir/runs`` (and move its stored weights); the moves made."""
    store = Store(results_dir)
    moves: list[Move] = []
    if not store.runs.is_dir():
        raise MigrationError(f"{results_dir}: no runs/ folder; pass a results folder (the one `bench run "
                             "--results-dir` wrote)")
    planned = []  # every record is checked before any is moved: a refusal leaves the folder as it was
    for folder in sorted(p for p in store.runs.iterdir() if p.is_dir()):
        found, _ = store.read(folder.name)
        record = found.to_json() if found is not None else None
        if record is None:
            continue  # absent or damaged: nothing to re-key (bench names damaged records itself)
        out = migrate_record(record, folder.name)
        if out is None:
            continue
        new, dirname = out
        if store.cell_dir(dirname).exists():
            raise MigrationError(f"{folder}: {store.cell_dir(dirname)} exists already; move one of them away first")
        planned.append((folder, record, new, dirname))
        moves.append(Move(folder.name, dirname, "reference" if "reference" in record else "cell"))
    if dry_run:
        return moves
    for folder, record, new, dirname in planned:
        if record.get("train_id") and new.get("train_id") != record.get("train_id"):
            _move_model(store, _model_dirname(folder.name, record), _model_dirname(dirname, new), new["train_id"])
        atomic_write_text(folder / RECORD, to_json(new))
        folder.rename(store.cell_dir(dirname))
    return moves


def _move_model(store: Store, old: str, new: str, train_id: str) -> None:
    """Stored weights follow their cell (a re-score needs no retraining); absent weights are fine."""
    folder = store.model_dir(old)
    if not folder.is_dir():
        return
    meta = store.training_record(old)
    if meta is not None:
        atomic_write_text(folder / TRAINING, to_json(_rekey_training(meta, train_id)))
    folder.rename(store.model_dir(new))


def _model_dirname(dirname: str, record: dict[str, Any]) -> str:
    return dirname[: -len(record["cell_id"])] + record["train_id"]


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    dry_run = "--dry-run" in args
    paths = [a for a in args if a != "--dry-run"]
    if len(paths) != 1 or paths[0].startswith("-"):
        print("usage: python -m bench.paper.migrate RESULTS_DIR [--dry-run]", file=sys.stderr)
        return 2
    try:
        moves = migrate(Path(paths[0]), dry_run=dry_run)
    except MigrationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for m in moves:
        print(f"{'would move' if dry_run else 'moved'} {m.kind} {m.old} -> {m.new}")
    print(f"{len(moves)} record(s) {'to re-key' if dry_run else 're-keyed'} ({RULE})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
