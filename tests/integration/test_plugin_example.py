"""The example plugin in ``examples/sparsebench-l1`` works end to end with no edit to sparsebench.

Installing it with pip would need a build backend from the network, so the test does what pip's
install leaves behind: the package's source on ``sys.path`` and a ``*.dist-info`` folder whose
``entry_points.txt`` is generated from the example's own ``pyproject.toml``.  The registry then
discovers the method exactly as it would an installed distribution.
"""
from __future__ import annotations

import json
try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sparsebench-l1"


@pytest.fixture
def installed_example(tmp_path, monkeypatch):
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())["project"]
    entry_points = project["entry-points"]["sparsebench.methods"]
    site = tmp_path / "site"
    dist_info = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n")
    (dist_info / "entry_points.txt").write_text(
        "[sparsebench.methods]\n" + "".join(f"{k} = {v}\n" for k, v in entry_points.items()))
    monkeypatch.syspath_prepend(str(EXAMPLE / "src"))
    monkeypatch.syspath_prepend(str(site))
    return project


def test_example_plugin_is_discovered_with_its_origin(installed_example):
    from methods.registry import get_method

    entry = get_method("l1sae")
    assert entry.origin == "plugin sparsebench-l1 0.1.0"
    assert entry.load().__module__ == "sparsebench_l1.method"


def test_example_plugin_passes_check_plugin_and_runs_through_bench_run(installed_example, run_bench, tmp_path):
    code = run_bench("list", "methods")
    assert code.exit_code == 0 and "plugin sparsebench-l1 0.1.0" in code.output

    check = run_bench("check-plugin", "l1sae", "--steps", "40")
    assert check.exit_code == 0, check.output
    assert "FAIL" not in check.output and check.output.count("PASS") == 2 * 9

    results = tmp_path / "results"
    res = run_bench("run", "--methods", "l1sae", "--corpora", "synthetic", "--preset", "smoke",
                    "--set", "epochs=1", "--set", "max_train_sentences=600", "--results-dir", str(results))
    assert res.exit_code == 0, res.output
    rows = [line for line in res.output.splitlines() if line.startswith("| l1sae")]
    assert len(rows) == 1 and "| code " in rows[0], res.output  # its leaderboard row
    (cell,) = list((results / "runs").iterdir())
    record = json.loads((cell / "record.json").read_text())
    assert record["status"] == "ok"
    assert record["provenance"]["method_origin"] == "plugin sparsebench-l1 0.1.0"
    assert 0.0 < record["metrics"]["modes"]["code"]["probe_accuracy"] <= 1.0


def test_check_plugin_exit_codes(run_bench):
    unknown = run_bench("check-plugin", "no-such-method")
    assert unknown.exit_code == 2 and "unknown method" in unknown.output
