"""The one exception family the CLI reports as a user error (one line, exit code 2)."""
from __future__ import annotations

import errno
from pathlib import Path

from methods.errors import MethodError
from sparsebench.params import ConfigError
from tasks.errors import CorpusError


class UserError(ValueError):
    """Bad input from the command line or a config file: the message names the value and what would work."""


class NoSpaceError(UserError):
    """A write of the store (or of a worker's scratch) ran out of disk space.

    A user error, not a cell's failure: the cause is the machine's, so nothing about the cell is recorded
    and the rerun after freeing space needs no ``--retry-failed``."""


#: Everything the CLI turns into ``error: <message>`` and exit code 2, without a traceback.
USER_ERRORS = (UserError, MethodError, CorpusError, ConfigError)


def is_out_of_space(exc: BaseException) -> bool:
    """ENOSPC (disk full) or EDQUOT (quota exceeded): the same remedy, more room."""
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def is_environment_error(exc: BaseException) -> bool:
    """Bad input or a full disk: never a cell's failure (a failed record would outlive the fixed cause)."""
    return isinstance(exc, USER_ERRORS) or is_out_of_space(exc)


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover - the loop returns


def no_space(folder: Path | str, needed: int | None, free: int | None = None) -> NoSpaceError:
    """The one line for a full disk: the folder, the space needed (and what is free), what to do."""
    need = f"{human_bytes(needed)} needed" if needed is not None else "more space needed"
    have = f", {human_bytes(free)} free" if free is not None else ""
    return NoSpaceError(f"no space left in {folder} ({need}{have}); free some space or choose another "
                        "--results-dir, then rerun the same command: finished cells are kept")


class Terminated(BaseException):
    """SIGTERM, as a scheduler (SLURM, submitit, ``kill``) stops a job: unwound like Ctrl-C, so workers
    stop, scratch goes and the unfinished cells are left for ``--resume``, instead of dying mid-write.
    A BaseException, like KeyboardInterrupt: ``except Exception`` around a cell must not record it as
    the cell's failure."""
