"""Shared fixtures: paths to the real corpora beside the checkout, a CLI runner, temp results."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _small_torch_threads(monkeypatch):
    """Keep tests from oversubscribing a small machine; results do not depend on this."""
    monkeypatch.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "1"))
    yield


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data`` (real yahoo/dbpedia valid+test); the test is skipped loudly if absent."""
    if not (SHARED_DATA / "yahoo").is_dir():
        pytest.skip(f"real corpora not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def run_bench(tmp_path):
    """Run the CLI in-process like a user would; returns (exit_code, stdout, stderr)."""
    from click.testing import CliRunner

    from bench.cli import cli

    def _run(*args: str, env: dict[str, str] | None = None):
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=True, prog_name="bench")

    return _run
