"""User-facing errors raised by corpora and metrics.

The CLI turns these into one line and exit code 2; they must name the bad value, where it came
from, and what would work, because the user can act on nothing else.
"""
from __future__ import annotations


class CorpusError(ValueError):
    """A corpus cannot be found, read or trusted (bad file, bad line, bad name)."""
