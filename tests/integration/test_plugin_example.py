"""The example plugins in ``examples/`` work end to end with no edit to sparsebench: a method
(``sparsebench-l1``), a metric (``sparsebench-gini``), a corpus (``sparsebench-seasons``) and an
executor (``sparsebench-pool``), installed as ``tests/conftest.py``'s ``install_example`` does (what
``pip install`` leaves behind).  Each example's own tests run sparsebench's conformance suite for its kind."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def installed_example(install_example):
    return install_example("sparsebench-l1")


def test_example_plugin_is_discovered_with_its_origin(installed_example):
    from methods.registry import get_method

    entry = get_method("l1sae")
    assert entry.origin == "plugin sparsebench-l1 0.1.0"
    assert entry.load().__module__ == "sparsebench_l1.method"


def test_example_plugin_passes_check_plugin_and_runs_through_bench_run(installed_example, run_bench, tmp_path):
    code = run_bench("list", "methods", "--wide")
    assert code.exit_code == 0 and "plugin sparsebench-l1 0.1.0" in code.output

    check = run_bench("check-plugin", "l1sae", "--steps", "40")
    assert check.exit_code == 0, check.output
    assert "FAIL" not in check.output and check.output.count("PASS") == 2 * 9

    results = tmp_path / "results"
    res = run_bench("run", "--methods", "l1sae", "--corpora", "synthetic", "--preset", "smoke",
                    "--set", "epochs=1", "--set", "max_train_sentences=600", "--set", "probe_sizes=all",
                    "--results-dir", str(results))
    assert res.exit_code == 0, res.output
    rows = [line for line in res.output.splitlines() if line.startswith("| l1sae")]
    assert len(rows) == 1 and "| code " in rows[0], res.output  # its leaderboard row
    (cell,) = [p for p in (results / "runs").iterdir() if p.name.startswith("l1sae-")]  # beside reference rows
    record = json.loads((cell / "record.json").read_text())
    assert record["status"] == "ok"
    assert record["provenance"]["method_origin"] == "plugin sparsebench-l1 0.1.0"
    assert 0.0 < record["metrics"]["modes"]["code"]["probe_accuracy"] <= 1.0


def test_check_plugin_exit_codes(run_bench):
    unknown = run_bench("check-plugin", "no-such-method")
    assert unknown.exit_code == 2 and "unknown method" in unknown.output


@pytest.mark.parametrize("example", ["sparsebench-l1", "sparsebench-gini", "sparsebench-seasons", "sparsebench-pool"])
def test_the_examples_own_tests_pass_against_this_sparsebench(example):
    """A plugin written against the public API keeps working: its own test suite runs green here."""
    res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLES / example / "tests")],
                         capture_output=True, text=True, env={**__import__("os").environ,
                                                              "PYTHONPATH": str(EXAMPLES / example / "src")})
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]


def test_a_metric_plugin_is_scored_and_bolded_by_its_declared_direction(install_example, run_bench, tmp_path):
    install_example("sparsebench-gini")
    results = tmp_path / "results"
    res = run_bench("run", "--methods", "sparsemax,vae", "--corpora", "synthetic", "--preset", "smoke",
                    "--set", "epochs=1", "--set", "max_train_sentences=600", "--set", "probe_sizes=all",
                    "--results-dir", str(results), "--no-references")  # the bolding among methods is the point here
    assert res.exit_code == 0, res.output
    board = run_bench("leaderboard", "--results-dir", str(results), "--metric", "gini", "--modes", "all")
    assert board.exit_code == 0, board.output
    rows = {tuple(c.strip() for c in line.split("|")[1:5]): line.split("|")[-3].strip()
            for line in board.output.splitlines() if line.startswith("| ") and "gini" not in line.lower()
            and not line.startswith("| method")}
    values = {k: float(v.strip("*")) for k, v in rows.items()}
    best = max(values, key=values.get)
    assert rows[best].startswith("**"), "the highest Gini is bold: the plugin declared higher_is_better=True"
    assert sum(v.startswith("**") for v in rows.values()) == 1
    assert "Gini" in board.output  # the plugin's header


def test_a_corpus_plugin_is_listed_described_and_run_on(install_example, run_bench, tmp_path):
    install_example("sparsebench-seasons")
    listed = run_bench("list", "corpora", "--wide")
    assert listed.exit_code == 0 and "sentences about the four seasons" in listed.output
    info = run_bench("data", "info", "seasons")
    assert info.exit_code == 0, info.output
    res = run_bench("run", "--methods", "vae", "--corpora", "seasons", "--set", "epochs=1", "--threads", "1",
                    "--set", "probe_sizes=all", "--results-dir", str(tmp_path))  # the corpus is the point
    assert res.exit_code == 0, res.output
    assert "1 trained" in res.output and "references: 3 computed" in res.output
    (cell,) = [p for p in (tmp_path / "runs").iterdir() if p.name.startswith("vae-seasons-")]
    record = json.loads((cell / "record.json").read_text())
    assert record["status"] == "ok" and 0.25 < record["metrics"]["modes"]["mean"]["probe_accuracy"] <= 1.0


def test_an_executor_plugin_runs_cells_and_references_by_name(install_example, run_bench, tmp_path):
    install_example("sparsebench-pool")
    listed = " ".join(run_bench("list", "executors", "--wide").output.split())
    assert "pool plugin sparsebench-pool 0.1.0" in listed
    res = run_bench("run", "--methods", "ae", "--corpora", "synthetic", "--set", "epochs=1", "--set",
                    "max_train_sentences=300", "--set", "probe_sizes=all", "--executor", "pool", "--jobs", "2",
                    "--threads", "1", "--results-dir", str(tmp_path))
    assert res.exit_code == 0, res.output
    assert "1 trained" in res.output and "references: 3 computed" in res.output
    again = run_bench("run", "--methods", "ae", "--corpora", "synthetic", "--set", "epochs=1", "--set",
                      "max_train_sentences=300", "--set", "probe_sizes=all", "--executor", "pool",
                      "--results-dir", str(tmp_path))
    assert again.exit_code == 0 and "1 cached" in again.output and "references: 0 computed, 3 cached" in again.output
