"""The one exception family the CLI reports as a user error (one line, exit code 2)."""
from __future__ import annotations

from methods.errors import MethodError
from sparsebench.params import ConfigError
from tasks.errors import CorpusError


class UserError(ValueError):
    """Bad input from the command line or a config file: the message names the value and what would work."""


#: Everything the CLI turns into ``error: <message>`` and exit code 2, without a traceback.
USER_ERRORS = (UserError, MethodError, CorpusError, ConfigError)
