"""Where corpus files live: ``--data-dir``, else ``$SPARSEBENCH_DATA``, else a per-user cache folder.

One rule for every command, so that ``bench data download`` writes exactly where ``bench run`` and
``bench data info`` will later look.  Each corpus sits in its own sub-folder (``<data dir>/yahoo/``).
"""
from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "SPARSEBENCH_DATA"


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/sparsebench``, else ``~/.cache/sparsebench`` (the XDG default)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "sparsebench"


def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The data folder a command uses; the folder need not exist yet (download creates it)."""
    if data_dir:
        return Path(data_dir).expanduser()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    return default_cache_dir()


def describe_data_dir(data_dir: str | os.PathLike[str] | None = None) -> str:
    """The folder and which rule chose it, for messages ("… (from $SPARSEBENCH_DATA)")."""
    folder = resolve_data_dir(data_dir)
    if data_dir:
        why = "from --data-dir"
    elif os.environ.get(ENV_VAR):
        why = f"from ${ENV_VAR}"
    else:
        why = f"per-user cache; set ${ENV_VAR} or pass --data-dir to use another folder"
    return f"{folder} ({why})"


def download_hint(name: str, split: str, data_dir: str | os.PathLike[str] | None = None) -> str:
    """What to do about a missing split: download it, or (for train) train on a split that is here."""
    where = f" --data-dir {data_dir}" if data_dir else ""
    hint = f"data folder {describe_data_dir(data_dir)}; fetch it with `bench data download {name}{where}`"
    if split == "train":
        hint += ", or train on a split that is present with --train-split valid"
    return hint
