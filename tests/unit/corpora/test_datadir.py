"""--data-dir, else $SPARSEBENCH_DATA, else the per-user cache (XDG_CACHE_HOME respected)."""
from __future__ import annotations

from pathlib import Path

from tasks.corpora.datadir import describe_data_dir, resolve_data_dir


def test_option_wins_over_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SPARSEBENCH_DATA", str(tmp_path / "env"))
    assert resolve_data_dir(tmp_path / "opt") == tmp_path / "opt"
    assert resolve_data_dir(None) == tmp_path / "env"
    assert "from $SPARSEBENCH_DATA" in describe_data_dir(None)


def test_cache_folder_respects_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("SPARSEBENCH_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert resolve_data_dir() == tmp_path / "xdg" / "sparsebench"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert resolve_data_dir() == Path.home() / ".cache" / "sparsebench"
    assert "per-user cache" in describe_data_dir()
