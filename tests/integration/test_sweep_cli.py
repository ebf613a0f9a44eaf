"""`bench run --sweep` end to end: each method expands into its declared points, each a cell of its own."""
from __future__ import annotations

import json
import re

import pytest

from bench.config.grid import point_name
from methods.registry import get_method
from methods.sweeps import EQUAL_BUDGET, sweep_of

TINY = ["--set", "epochs=1", "--set", "max_train_sentences=300", "--set", "hidden_dim=16", "--set", "embed_dim=8",
        "--set", "probe_sizes=all"]


def test_sweep_dry_run_counts_the_cells_without_training(run_bench, tmp_path):
    """`--resume cache-only` trains nothing: the expansion is printed and every cell is missing."""
    res = run_bench("run", "-m", "vae,ae,hsvae", "-c", "synthetic", "--preset", "smoke", "--seeds", "2", "--sweep",
                    "--resume", "cache-only", "--no-references", "--results-dir", str(tmp_path / "r"))
    assert res.exit_code == 0, res.output
    cells = 2 * (EQUAL_BUDGET + 1 + EQUAL_BUDGET)
    assert f"{cells} cells" in res.output and f"{cells} missing" in res.output
    assert "not an equal budget" not in res.output
    assert not list((tmp_path / "r").glob("runs/*/record.json"))


@pytest.mark.slow
def test_sweep_trains_one_cell_per_point_and_each_record_names_its_point(run_bench, tmp_path):
    results = tmp_path / "r"
    res = run_bench("run", "-m", "vae", "-c", "synthetic", "--preset", "smoke", "--sweep", *TINY, "--no-references",
                    "--results-dir", str(results))
    assert res.exit_code == 0, res.output
    assert re.search(rf"{EQUAL_BUDGET} trained, 0 rescored, 0 cached, 0 failed", res.output), res.output
    records = [json.loads(p.read_text()) for p in (results / "runs").glob("*/record.json")]
    points = {point_name(r["config"]["method_config"], get_method("vae").config): r for r in records}
    assert sorted(points) == sorted(p.name for p in sweep_of(get_method("vae").config).points)
    assert {r["config"]["method_config"]["beta"] for r in records} == {1.0, 0.1, 0.03, 0.01, 0.001}
    again = run_bench("run", "-m", "vae", "-c", "synthetic", "--preset", "smoke", "--sweep", *TINY,
                      "--no-references", "--results-dir", str(results))
    assert again.exit_code == 0 and f"0 trained, 0 rescored, {EQUAL_BUDGET} cached" in again.output


def test_setting_a_swept_key_is_one_line_and_exit_code_2(run_bench, tmp_path):
    res = run_bench("run", "-m", "mat", "-c", "synthetic", "--sweep", "--set", "mat.beta=0.5",
                    "--results-dir", str(tmp_path / "r"))
    assert res.exit_code == 2, res.output
    assert "--set mat.beta: 'beta' is a key of mat's declared sweep" in res.output
    assert "Traceback" not in res.output and not (tmp_path / "r" / "runs").exists()


def test_no_sweep_overrides_an_experiment_files_sweep(run_bench, tmp_path):
    config = tmp_path / "e.toml"
    config.write_text('methods = ["hsvae"]\ncorpora = ["synthetic"]\nsweep = true\n')
    common = ["--resume", "cache-only", "--no-references", "--results-dir", str(tmp_path / "r")]
    swept = run_bench("run", "--config", str(config), *common)
    plain = run_bench("run", "--config", str(config), "--no-sweep", *common)
    assert f"{EQUAL_BUDGET} cells" in swept.output and "1 cells" in plain.output, (swept.output, plain.output)
