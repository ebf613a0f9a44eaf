"""A metric plugin that fails to load is left out of scoring, and said so: `bench list` marks it,
`bench leaderboard` warns in one line (its columns are missing, not zero)."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from bench.cli import cli
from bench.store.results import Store
from tasks.metrics import plugin_errors, plugin_failures, reset_plugins

CLASHING = '''
from tasks.metric_types import Metric, Scored, Scorer

SCORER = Scorer("again", ("test_codes",), lambda x, cfg: Scored({"avg_hoyer": 0.0}),
                (Metric("avg_hoyer", True, "AH again", "a second avg_hoyer"),))
'''


def fake_dist(site, name: str, entry_points: dict[str, str]) -> None:
    dist = site / f"{name.replace('-', '_')}-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[sparsebench.metrics]\n"
                                           + "".join(f"{k} = {v}\n" for k, v in entry_points.items()))


@pytest.fixture
def broken_metric_plugins(tmp_path, monkeypatch):
    site = tmp_path / "site"
    fake_dist(site, "typo-metric", {"typo": "no_such_metric_module:SCORER"})
    fake_dist(site, "clash-metric", {"clash": "clash_metric_module:SCORER"})
    (site / "clash_metric_module.py").write_text(CLASHING)
    monkeypatch.syspath_prepend(str(site))
    reset_plugins()
    yield
    reset_plugins()


def record() -> dict:
    return {"cell_id": "c", "status": "ok", "spec": {"method": "vae", "corpus": "synthetic", "seed": 0, "preset": "smoke"},
            "config": {"method_config": {}, "train": {}},
            "metrics": {"modes": {"mean": {"probe_accuracy": 0.5, "avg_hoyer": 0.3}}, "default_mode": "mean"},
            "provenance": {}}


def test_failures_are_kept_once_with_their_plugin_name(broken_metric_plugins):
    failures = plugin_failures()
    plugin_failures()  # asking again (every scoring loop does) does not repeat them
    assert [name for name, _ in failures] == ["typo", "again"] and len(plugin_errors()) == 2
    assert "no_such_metric_module" in failures[0][1] and "redefines ['avg_hoyer']" in failures[1][1]


def test_bench_list_marks_a_broken_metric_plugin(broken_metric_plugins):
    res = CliRunner().invoke(cli, ["list", "metrics"], prog_name="bench")
    assert res.exit_code == 0, res.output
    assert "probes" in res.output and "avg_hoyer" in res.output  # the built-ins are still listed
    typo = next(line for line in res.output.splitlines() if line.startswith("typo"))
    assert "UNUSABLE" in typo and "ModuleNotFoundError" in res.output


def test_bench_leaderboard_warns_in_one_line(broken_metric_plugins, tmp_path):
    Store(tmp_path).save("vae-synthetic-seed0-c", record())
    res = CliRunner().invoke(cli, ["leaderboard", "--results-dir", str(tmp_path)], prog_name="bench")
    assert res.exit_code == 0, res.output
    warnings = [line for line in res.stderr.splitlines() if "metric plugin" in line]
    assert len(warnings) == 1 and warnings[0].startswith("warning: 2 metric plugin(s) left out (typo, again)")
    assert "bench list metrics" in warnings[0] and "metric plugin" not in res.stdout
    assert "0.500" in res.stdout


def test_no_warning_without_broken_plugins(tmp_path):
    reset_plugins()
    Store(tmp_path).save("vae-synthetic-seed0-c", record())
    res = CliRunner().invoke(cli, ["leaderboard", "--results-dir", str(tmp_path)], prog_name="bench")
    assert res.exit_code == 0 and "warning" not in res.stderr
