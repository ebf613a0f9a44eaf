"""The README's quickstart must stay true: CI runs exactly the test command the README shows."""
from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def quickstart_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    section = text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, flags=re.S)]


def test_quickstart_is_two_commands_and_ci_runs_the_test_command():
    setup, tests = quickstart_commands()
    assert "bench run" in setup and "synthetic" in setup
    assert "torch==2.13.0" in setup.split("bench run")[0]
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert tests in ci, f"{tests!r} is not a line of .ci/run"


def test_the_test_command_runs_the_benchmarks_that_a_parallel_session_leaves_out():
    """The suite runs under xdist (pyproject's addopts), where pytest-benchmark measures nothing: the conftest
    leaves tests/benchmarks out of such a session, so the test command must run them serially after it."""
    from tests.conftest import SERIAL

    addopts = re.search(r'^addopts = "(.*)"$', (REPO / "pyproject.toml").read_text(), flags=re.M).group(1)
    assert "-n auto" in addopts
    first, second = quickstart_commands()[1].split(" && ")
    assert first == ".venv/bin/python -m pytest" and second.endswith("-m pytest -n0 tests/benchmarks")
    assert second.split("-m pytest ", 1)[1] in SERIAL, "the summary line names the same command"


def test_readme_fits_on_a_few_screens():
    """Issue 25: the README says what the project is and where to read more; discussion lives in docs/ and
    results/reference/README.md."""
    lines = (REPO / "README.md").read_text().splitlines()
    assert len(lines) <= 250, f"README.md has {len(lines)} lines; move detail into docs/ (at most 250)"


def test_readme_prints_the_published_leaderboard_in_one_command():
    text = (REPO / "README.md").read_text()
    assert "bench leaderboard --results-dir results/reference" in text
