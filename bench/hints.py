"""Deprecated import path: ``did_you_mean`` is in :mod:`sparsebench.hints` (one helper for every package)."""
from __future__ import annotations

import warnings

from sparsebench.hints import did_you_mean  # noqa: F401

warnings.warn("bench.hints is deprecated; import did_you_mean from sparsebench.hints instead",
              DeprecationWarning, stacklevel=2)
