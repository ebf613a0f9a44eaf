"""The published frontier sweeps (results/reference/frontier-*): every committed record is a cell its
experiment file declares, of today's scoring protocol, and PROGRESS.md says exactly what is committed
and what is pending (regenerated here from the file and the records, so it cannot go stale)."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from tasks.scoring import SCORING_VERSION

REPO = Path(__file__).resolve().parents[2]


def _progress_module():
    spec = importlib.util.spec_from_file_location("sweep_progress", REPO / "experiments/reference/sweep_progress.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SWEEPS: dict[str, str] = _progress_module().SWEEPS  # the published sweeps and their experiment files

PUBLISHED = [track for track in SWEEPS if (REPO / "results/reference" / track / "runs").is_dir()]


def test_the_text_sweep_is_published():
    assert "frontier-text" in PUBLISHED


@pytest.mark.parametrize("track", PUBLISHED)
def test_committed_sweep_records_are_current_and_successful(track):
    records = [json.loads(p.read_text()) for p in (REPO / "results/reference" / track / "runs").glob("*/record.json")]
    assert records
    assert {r["config"]["scoring_protocol"] for r in records} == {SCORING_VERSION}, "re-score the sweep's weights"
    assert {r["status"] for r in records} == {"ok"}


def _declared_and_committed(track: str) -> tuple[dict[str, str], set[str]]:
    """The cells the experiment file declares for a sweep's committed records, and the committed cell folders
    (reference rows aside). Run from the repository root: the file names the experiment as a repository path."""
    progress = _progress_module()
    folder = Path("results/reference") / track
    declared = progress.declared_cells(Path(SWEEPS[track]), progress.committed(folder)[0].values())
    committed = {p.parent.name for p in (folder / "runs").glob("*/record.json") if not p.parent.name.startswith("ref-")}
    return declared, committed


@pytest.mark.parametrize("track", PUBLISHED)
def test_progress_file_says_what_is_committed_and_pending(track, monkeypatch):
    progress = _progress_module()
    folder = Path("results/reference") / track
    monkeypatch.chdir(REPO)  # the file names the experiment as a repository path
    expected = progress.progress(Path(SWEEPS[track]), folder)
    declared, committed = _declared_and_committed(track)
    assert (folder / progress.PROGRESS).read_text(encoding="utf-8") == expected, \
        f"regenerate: python experiments/reference/sweep_progress.py {folder}"
    assert committed <= set(declared), "a committed record that the experiment file does not declare"
    assert f"{len(committed)} of {len(declared)} cells committed" in expected
    assert f"{len(declared) - len(committed)} pending" in expected
    pending = len(declared) - len(committed)
    if pending:  # the cost left, from the committed cells' wall times: within what the cheapest and dearest cost
        import re

        left = float(re.search(r"about ([\d.]+) core-hours left for the pending cells \(from stored timings",
                               expected)[1])
        from bench.run.estimate import trained_wall  # a re-scored record: its weights' training plus its scoring

        walls = [trained_wall(r) for r in progress.committed(folder)[0].values()]
        assert pending * min(walls) / 3600 - 0.05 <= left <= pending * max(walls) / 3600 + 0.05


@pytest.mark.parametrize("track", PUBLISHED)
def test_the_readme_states_each_sweeps_size_and_cost_as_its_progress_file_does(track):
    """A complete sweep reads "246 cells, 2.7 core-hours"; one in progress "27 of 100 cells, 9.9 core-hours so far"."""
    import re

    progress = (REPO / "results/reference" / track / _progress_module().PROGRESS).read_text(encoding="utf-8")
    committed, declared, hours = re.search(r"(\d+) of (\d+) cells committed .*?; ([\d.]+) core-hours", progress).groups()
    stated = (f"{committed} cells, {hours} core-hours" if committed == declared
              else f"{committed} of {declared} cells, {hours} core-hours so far")
    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    assert stated in readme, f"README.md's fair-comparison section: update the cost of {track} to {stated!r}"
    if committed == declared:  # "148 of 148 cells, 56.3 core-hours so far" holds the complete form too
        assert f"{committed} of {declared} cells" not in readme, f"README.md still calls {track} in progress"


@pytest.mark.parametrize("track", PUBLISHED)
@pytest.mark.parametrize("x", ["active_dims", "avg_hoyer"])
def test_each_sweeps_frontier_tables_are_what_bench_frontier_makes_beside_its_experiment_file(track, x):
    """What tables.sh writes: `bench frontier --config EXPERIMENT` (a method short of points marked in progress)."""
    from click.testing import CliRunner

    from bench.cli import cli

    folder = REPO / "results/reference" / track
    res = CliRunner().invoke(cli, ["frontier", "--results-dir", str(folder), "--x", x, "--config",
                                   str(REPO / SWEEPS[track])], prog_name="bench")
    assert res.exit_code == 0, res.output
    assert res.output.strip() == (folder / f"frontiers_{x}.md").read_text(encoding="utf-8").strip(), (
        f"{track}/frontiers_{x}.md is stale: run `bash experiments/reference/tables.sh {track}`")


@pytest.mark.parametrize("track", PUBLISHED)
def test_each_sweeps_claims_are_what_the_rule_makes_of_its_records(track, capsys):
    from bench.paper.claims import main

    folder = REPO / "results/reference" / track
    assert main([str(folder)]) == 0
    assert capsys.readouterr().out.strip() == (folder / "frontier_claims.md").read_text(encoding="utf-8").strip(), (
        f"{track}/frontier_claims.md is stale: run `bash experiments/reference/tables.sh {track}`")


@pytest.mark.parametrize("track", PUBLISHED)
def test_each_published_sweep_is_complete(track, monkeypatch):
    """Issue 21 publishes both sweeps whole: every cell the experiment file declares for its committed records
    (every point's first seed, then seeds 1–2 of each point on a frontier) is committed. A re-score that moves a
    point onto a frontier declares its further seeds, and this fails until they are run."""
    monkeypatch.chdir(REPO)
    declared, committed = _declared_and_committed(track)
    missing = sorted(set(declared) - committed)
    assert not missing, f"{track}: {len(missing)} declared cell(s) not committed, e.g. {declared[missing[0]]}"
