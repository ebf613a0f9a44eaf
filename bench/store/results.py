"""Run records and trained weights on disk, written atomically, validated when read.

Layout under the results folder:

- ``runs/<method>-<corpus>-seed<s>-<cell id>/record.json`` (+ ``log.txt``): one scored cell — spec,
  resolved config, metrics for every encode mode, provenance, status;
- ``models/<method>-<corpus>-seed<s>-<train id>/model.pt`` (+ ``model.sha256``, ``training.json``): the
  trained weights (a state dict, loaded with ``weights_only=True``), their SHA-256 (``sha256sum``'s
  format) and the training part of the record, keyed by the training identity alone, so a scoring
  change re-scores them instead of retraining; beside them ``encoding.json``, what encoding new text
  needs (vocabulary, or centring mean and scale: :mod:`bench.use.state`).  Weights are checked against
  their checksum before they are used (:meth:`Store.weights_problem`); damaged ones are retrained.

Writes go to a temporary file in the same folder and are moved into place with ``os.replace``, so a
run killed at any moment leaves either the old file or the new one, never half of one.  Files are
created with the process umask (0644 by default), so a shared results folder stays readable.  A
record that is unreadable or breaks :data:`~bench.store.record.RECORD_SCHEMA` is *damaged*: never reused, named and
counted by whoever reads the store.  What a record holds is :class:`bench.store.record.Record`.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

from bench.errors import UserError, is_out_of_space, no_space
from bench.store.record import Record, record_problems, to_json

RECORD = "record.json"
LOG = "log.txt"
WEIGHTS = "model.pt"
WEIGHTS_SHA256 = "model.sha256"
TRAINING = "training.json"
ENCODING = "encoding.json"

#: Room left beside every write: a full disk breaks the filesystem's other users (and our next write) too.
SPACE_MARGIN = 1 << 20


def free_space(folder: Path) -> int | None:
    """Bytes free to this user on the filesystem of ``folder`` (its nearest existing parent), None if unknown
    (also on a pseudo filesystem such as ``/proc``, whose size is 0: its writes fail for other reasons)."""
    for path in (folder, *folder.parents):
        if path.exists():
            try:
                usage = shutil.disk_usage(path)
            except OSError:
                return None
            return usage.free if usage.total else None
    return None


def folder_problem(folder: Path, create: bool = True) -> str | None:
    """Why ``folder`` cannot hold our files (a file where a folder belongs, not creatable, not writable),
    or None; the folder is created when it can be (``create=False``, a dry run: nothing is created, and
    the nearest existing folder is asked whether it is writable).  Asked before the work, so the work is
    never lost to it."""
    folder = Path(folder)
    blocker = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        return f"{blocker} is a file, not a folder"
    if not create:
        first = next(p for p in (folder, *folder.parents) if os.path.lexists(p))
        return None if os.access(first, os.W_OK | os.X_OK) else f"{first} is not writable"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".write-test-")
        try:
            os.write(fd, b"ok")
        finally:
            os.close(fd)
            os.unlink(probe)
    except OSError as exc:
        return f"{folder} cannot be written ({exc.strerror or exc})"
    return None


def check_space(folder: Path, nbytes: int) -> None:
    """Refuse a write of ``nbytes`` into ``folder`` that would not fit (with :data:`SPACE_MARGIN`), before writing."""
    free = free_space(folder)
    if free is not None and free < nbytes + SPACE_MARGIN:
        raise no_space(folder, nbytes + SPACE_MARGIN, free)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old file or the new one, never part of one.

    The free space is checked first, and a write that runs out of it anyway (ENOSPC, EDQUOT) leaves no
    temporary file and is a :class:`~bench.errors.NoSpaceError` naming the folder and the size."""
    check_space(path.parent, len(data))
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a record is for the group too
        if path.is_dir():
            raise UserError(f"{path} is a folder, where a file belongs; remove it (or move it away) and rerun")
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if is_out_of_space(exc):
            raise no_space(path.parent, len(data) + SPACE_MARGIN, free_space(path.parent)) from None
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


@dataclass
class Damaged:
    path: Path
    why: str


@dataclass
class Scan:
    """Every record under ``runs/``: the valid ones, and the damaged ones with the reason."""

    records: list[dict[str, Any]] = field(default_factory=list)
    damaged: list[Damaged] = field(default_factory=list)

    def damaged_note(self) -> str:
        if not self.damaged:
            return ""
        lines = [f"{len(self.damaged)} damaged record(s) skipped:"]
        lines += [f"  {d.path}: {d.why}" for d in self.damaged]
        return "\n".join(lines)


class Store:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.runs = self.root / "runs"
        self.models = self.root / "models"

    # -- cells -----------------------------------------------------------------------------
    def cell_dir(self, dirname: str) -> Path:
        return self.runs / dirname

    def read(self, dirname: str) -> tuple[Record | None, str | None]:
        """(record, None), (None, None) when absent, or (None, why) when damaged.

        A folder where the record belongs is a :class:`~bench.errors.UserError`: the cell could train,
        but its record could never be written."""
        if (self.cell_dir(dirname) / RECORD).is_dir():
            raise UserError(f"{self.cell_dir(dirname) / RECORD} is a folder, where the cell's record belongs; "
                            "remove it (or move it away) and rerun")
        data, why = self._read_json(dirname)
        return (Record.from_json(data, check=False) if data is not None else None), why

    def _read_json(self, dirname: str) -> tuple[dict[str, Any] | None, str | None]:
        path = self.cell_dir(dirname) / RECORD
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None, None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return None, f"not valid JSON ({exc})"
        except OSError as exc:
            return None, f"unreadable ({exc})"
        problems = record_problems(data)
        if problems:
            return None, "; ".join(problems[:3])
        return data, None

    def load(self, dirname: str) -> Record | None:
        """The valid record of a cell, or None (absent or damaged: either way it is run again)."""
        return self.read(dirname)[0]

    def save(self, dirname: str, record: Record | Mapping[str, Any], log: str = "") -> Path:
        """Write a cell's record (a :class:`Record`, or its JSON) and log.  A re-scored record keeps the log
        of its training: the new lines are appended under a ``--- re-scored <time> ---`` rule, never
        written over it."""
        data = record.to_json() if isinstance(record, Record) else dict(record)
        folder = self.cell_dir(dirname)
        if log and data.get("provenance", {}).get("scoring", {}).get("rescored"):
            previous = folder / LOG
            old = previous.read_text(encoding="utf-8") if previous.is_file() else ""
            if old:
                log = f"{old.rstrip()}\n--- re-scored {data.get('finished', '')} ---\n{log}"
        if log:
            atomic_write_text(folder / LOG, log)
        atomic_write_text(folder / RECORD, to_json(data))
        return folder

    def scan(self) -> Scan:
        out = Scan()
        if not self.runs.is_dir():
            return out
        for folder in sorted(p for p in self.runs.iterdir() if p.is_dir()):
            record, why = self._read_json(folder.name)
            if why is not None:
                out.damaged.append(Damaged(folder / RECORD, why))
            elif record is not None:
                record.setdefault("dirname", folder.name)
                out.records.append(record)
        return out

    def records(self) -> Iterator[dict[str, Any]]:
        """Every valid record's JSON (tables read records as data), with its folder name as ``dirname``."""
        yield from self.scan().records

    # -- trained models --------------------------------------------------------------------
    def model_dir(self, model_dirname: str) -> Path:
        return self.models / model_dirname

    def weights_path(self, model_dirname: str) -> Path | None:
        """The stored weights of a training identity, if a finished training left them."""
        folder = self.model_dir(model_dirname)
        path, meta = folder / WEIGHTS, folder / TRAINING
        return path if path.is_file() and meta.is_file() else None

    def training_record(self, model_dirname: str) -> dict[str, Any] | None:
        try:
            return json.loads((self.model_dir(model_dirname) / TRAINING).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError, UnicodeDecodeError):
            return None

    def save_model(self, model_dirname: str, weights: bytes, training: dict[str, Any]) -> Path:
        """Weights first, then their checksum, then the training record that marks them complete."""
        folder = self.model_dir(model_dirname)
        atomic_write_bytes(folder / WEIGHTS, weights)
        atomic_write_text(folder / WEIGHTS_SHA256, f"{hashlib.sha256(weights).hexdigest()}  {WEIGHTS}\n")
        atomic_write_text(folder / TRAINING, to_json(training))
        return folder

    def weights_problem(self, model_dirname: str) -> str | None:
        """Why the stored weights of a training identity cannot be used (None: they are intact or absent).

        Checked against the SHA-256 written with them.  Weights stored before checksums existed are
        checked as what ``torch.save`` writes, a zip archive whose members carry CRC-32s: intact ones
        get their checksum written now; a truncated or junk file is named, and its cell trains again.
        """
        folder = self.model_dir(model_dirname)
        path, recorded = folder / WEIGHTS, folder / WEIGHTS_SHA256
        if not path.is_file():
            return None
        try:
            actual = file_sha256(path)
            if recorded.exists():
                expected = recorded.read_text(encoding="utf-8").split()[0] if recorded.is_file() else ""
                if actual != expected:
                    return (f"its SHA-256 {actual[:12]}… is not the {expected[:12] or '(unreadable)'}… written with it: "
                            "the file is truncated or was changed")
                return None
            why = _zip_problem(path)
        except (OSError, UnicodeDecodeError, IndexError) as exc:
            return f"unreadable ({exc})"
        if why is not None:
            return f"stored without a checksum, and {why}"
        try:
            atomic_write_text(recorded, f"{actual}  {WEIGHTS}\n")  # intact: checked by its checksum from now on
        except (OSError, UserError):
            pass  # a read-only store is read as it is
        return None

    def save_encoding(self, model_dirname: str, state: dict[str, Any]) -> Path:
        """What encoding new text with the model needs (:mod:`bench.use.state`), atomically, beside its weights."""
        path = self.model_dir(model_dirname) / ENCODING
        atomic_write_text(path, json.dumps(state, sort_keys=True))
        return path

    # -- locks and scratch -----------------------------------------------------------------
    @property
    def locks(self) -> Path:
        """The cell locks of running drivers (:mod:`bench.store.locks`)."""
        return self.root / ".locks"

    @property
    def scratch(self) -> Path:
        """Scratch space of worker processes: one ``run-*`` folder per running driver, under the results
        folder (never the system temp dir, where a killed run's files would stay forever)."""
        return self.root / ".scratch"

    def open_scratch(self) -> Path:
        """A fresh scratch folder owned by this process, after removing those of runs that were killed.

        The owner (host, pid, process start time) is written inside; :meth:`remove_stale_scratch`
        deletes a folder only when its owner is provably gone, so a second ``bench run`` on the same
        results folder (or one on another host of a shared filesystem) keeps its live scratch.
        """
        self.remove_stale_scratch()
        self.scratch.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=f"run-{os.getpid()}-", dir=self.scratch))
        owner = {"host": socket.gethostname(), "pid": os.getpid(), "start": _process_start(os.getpid())}
        (folder / SCRATCH_OWNER).write_text(json.dumps(owner), encoding="utf-8")
        return folder

    def remove_stale_scratch(self) -> list[Path]:
        """Remove scratch folders whose owning process has ended; returns what was removed."""
        removed = []
        if not self.scratch.is_dir():
            return removed
        for folder in sorted(self.scratch.glob("run-*")):
            if folder.is_dir() and not _owner_alive(folder):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
        return removed


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, read in 1 MiB blocks (weights and encoder files are large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _zip_problem(path: Path) -> str | None:
    """Why ``path`` is not a complete torch archive (every member's CRC-32 checked), or None."""
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        return f"it is not a complete torch archive ({exc})"
    return f"its member {bad} fails its CRC check" if bad is not None else None


#: The file in a scratch folder that names the process owning it.
SCRATCH_OWNER = "owner.json"


def _process_start(pid: int) -> str | None:
    """The start time of ``pid`` in clock ticks since boot (Linux), which tells a reused pid apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rpartition(")")[2].split()[19]  # field 22, counted after the command name


def _owner_alive(folder: Path) -> bool:
    """False only when the owner is known to be gone: same host, and no such pid (or a reused one)."""
    try:
        owner = json.loads((folder / SCRATCH_OWNER).read_text(encoding="utf-8"))
        host, pid, start = owner["host"], int(owner["pid"]), owner.get("start")
    except FileNotFoundError:  # the owner is between mkdtemp and writing its file, or it died there
        try:
            return time.time() - folder.stat().st_mtime < 60
        except OSError:
            return False
    except (OSError, ValueError, KeyError, TypeError):
        return False  # unreadable: not a folder any live run could be using
    if host != socket.gethostname():
        return True  # another machine on a shared filesystem: its processes cannot be checked from here
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, another user's
    current = _process_start(pid)
    return start is None or current is None or current == start
