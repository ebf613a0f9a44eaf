"""Where frozen-encoder files live on disk: the cache folder of embeddings and of encoder facts.

``$SPARSEBENCH_CACHE`` if set, else the per-user cache of :func:`tasks.corpora.datadir.default_cache_dir`,
then ``embeddings/`` under it (encoder identities under ``embeddings/encoders/``).
"""
from __future__ import annotations

import os
from pathlib import Path

from tasks.corpora.datadir import default_cache_dir

CACHE_ENV_VAR = "SPARSEBENCH_CACHE"


def cache_root(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """``cache_dir``, else ``$SPARSEBENCH_CACHE``, else the per-user cache (as for corpus files)."""
    if cache_dir:
        return Path(cache_dir).expanduser()
    env = os.environ.get(CACHE_ENV_VAR)
    return Path(env).expanduser() if env else default_cache_dir()


def embeddings_dir(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    return cache_root(cache_dir) / "embeddings"


