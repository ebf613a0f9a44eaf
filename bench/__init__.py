"""Orchestration: CLI, run specs, training loop, results store, leaderboards.

The only package that knows both ``methods`` and ``tasks``.  Modules that the CLI needs for
``--help`` and ``list`` stay free of torch; the training path imports it lazily.
"""
from importlib import metadata

try:
    __version__ = metadata.version("sparsebench")
except metadata.PackageNotFoundError:  # running from a source tree
    __version__ = "0+unknown"
