"""Deprecated import path: batch formation is part of the data path (:mod:`bench.data`); its
torch-free index functions are in :mod:`sparsebench.batching`.

The paper protocol's batches now have random membership (``length_pool = 0``); ``bucket_batches``
here is the length-pool variant it always was.
"""
from __future__ import annotations

import warnings

from sparsebench.batching import bucket_batches, count_batches, padding_fraction  # noqa: F401

warnings.warn("tasks.batching is deprecated; import bucket_batches, count_batches and padding_fraction from "
              "sparsebench.batching (or bench.data) instead", DeprecationWarning, stacklevel=2)
