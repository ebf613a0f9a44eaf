"""The committed frontier tables and frontier claims of the reference leaderboard are what `bench frontier`
and `python -m bench.paper.claims` make of the committed records (the commands experiments/reference/tables.sh
runs): a record added without regenerating them fails here."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from bench.cli import cli
from bench.paper.docs import REFERENCE_README, REFERENCE_TRACKS
from bench.report.frontier import READINGS

REFERENCE = REFERENCE_README.parent
STALE = "stale: run `bash experiments/reference/tables.sh`"


@pytest.mark.parametrize("track", REFERENCE_TRACKS)
@pytest.mark.parametrize("x", sorted(READINGS))
def test_committed_frontier_tables_are_regenerated_from_the_records(track, x, as_of_the_records_protocol):
    as_of_the_records_protocol(track)
    res = CliRunner().invoke(cli, ["frontier", "--results-dir", str(REFERENCE / track), "--x", x], prog_name="bench")
    assert res.exit_code == 0, res.output
    committed = (REFERENCE / track / f"frontiers_{x}.md").read_text().strip()
    assert res.output.strip() == committed, f"frontiers_{x}.md {STALE}"
    assert (REFERENCE / track / "plots" / f"frontiers_{x}.png").is_file()


@pytest.mark.parametrize("track", REFERENCE_TRACKS)
def test_committed_frontier_claims_are_what_the_rule_makes_of_the_records(track, as_of_the_records_protocol, capsys):
    from bench.paper.claims import main

    as_of_the_records_protocol(track)
    assert main([str(REFERENCE / track)]) == 0  # `python -m bench.paper.claims DIR`, in-process
    out = capsys.readouterr().out
    assert out.strip() == (REFERENCE / track / "frontier_claims.md").read_text().strip(), f"frontier_claims.md {STALE}"


def test_tables_sh_writes_the_frontiers_and_keeps_the_single_point_claims_as_history():
    script = (REFERENCE.parents[1] / "experiments" / "reference" / "tables.sh").read_text()
    assert "for x in avg_hoyer active_dims" in script and set(READINGS) == {"avg_hoyer", "active_dims"}
    assert '-m bench.paper.claims "$dir" --as-published > "$dir/frontier_claims.md"' in script
    assert '-m bench.paper.claims "$dir" --single-point --as-published > "$dir/claims.md"' in script
    # every table is read as published, as the tests above read it (as_of_the_records_protocol): a track of an
    # older protocol regenerates as it was published instead of stopping the script at its first table
    for command in ("leaderboard", "plot", "frontier"):
        calls = [line for line in script.splitlines() if f'"$BENCH" {command} ' in line]
        assert calls and all("--as-published" in line for line in calls), command
