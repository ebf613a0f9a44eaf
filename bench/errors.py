"""The one exception family the CLI reports as a user error (one line, exit code 2)."""
from __future__ import annotations

from methods.errors import MethodError
from sparsebench.params import ConfigError
from tasks.errors import CorpusError


class UserError(ValueError):
    """Bad input from the command line or a config file: the message names the value and what would work."""


#: Everything the CLI turns into ``error: <message>`` and exit code 2, without a traceback.
USER_ERRORS = (UserError, MethodError, CorpusError, ConfigError)


class Terminated(BaseException):
    """SIGTERM, as a scheduler (SLURM, submitit, ``kill``) stops a job: unwound like Ctrl-C, so workers
    stop, scratch goes and the unfinished cells are left for ``--resume``, instead of dying mid-write.
    A BaseException, like KeyboardInterrupt: ``except Exception`` around a cell must not record it as
    the cell's failure."""
