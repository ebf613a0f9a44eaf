"""One lock per cell in the results folder, so that two ``bench run`` on one folder compute each cell once.

The driver takes a cell's lock before the cell is dispatched and drops it once its result is
stored; a second run that finds a lock held leaves that cell for last, waits for the lock, then
plans the cell again from the store: it reuses the first run's record (or its weights) instead
of training the cell twice.  The locks are ``filelock``'s OS locks (``flock``): the kernel drops
them when their process dies, so a killed run never blocks the next one.  The lock files stay
(empty, under ``.locks/``): deleting a lock file another process holds would let a third take it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from filelock import FileLock, Timeout


class CellLocks:
    """The cell locks this process holds in ``folder`` (``<results>/.locks``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.held: dict[str, FileLock] = {}

    def _lock(self, name: str) -> FileLock:
        self.folder.mkdir(parents=True, exist_ok=True)
        return FileLock(self.folder / f"{name}.lock", thread_local=False)

    def try_take(self, name: str) -> bool:
        """Take the lock of cell folder ``name`` if no other process holds it; True when taken (or held already)."""
        if name in self.held:
            return True
        lock = self._lock(name)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            return False
        self.held[name] = lock
        return True

    def held_elsewhere(self, name: str) -> bool:
        """Whether another process (or another lock object) holds cell folder ``name``'s lock now; asked
        without creating a lock file, for a dry run, which writes nothing."""
        path = self.folder / f"{name}.lock"
        if name in self.held or not path.is_file():
            return False
        lock = FileLock(path, thread_local=False)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            return True
        lock.release()
        return False

    def take(self, name: str) -> None:
        """Wait for the lock of cell folder ``name`` and take it."""
        if name not in self.held:
            lock = self._lock(name)
            lock.acquire()
            self.held[name] = lock

    def release(self, names: Iterable[str] | None = None) -> None:
        for name in list(self.held if names is None else names):
            lock = self.held.pop(name, None)
            if lock is not None:
                lock.release()
