"""`bench list presets` says where each preset's settings come from (``Preset.source``)."""
from __future__ import annotations

from click.testing import CliRunner

from bench.cli import cli
from bench.presets import PRESETS


def test_presets_are_listed_with_their_source():
    res = CliRunner().invoke(cli, ["list", "presets"], prog_name="bench")
    assert res.exit_code == 0, res.output
    assert "source" in res.output.splitlines()[1]
    flat = " ".join(res.output.split())  # the table wraps long cells
    sourced = {name: p.source for name, p in PRESETS.items() if p.source}
    assert sourced, "the paper presets declare their source"
    for name, source in sourced.items():
        assert " ".join(source.split()[:6]) in flat, f"source of preset {name} not shown"
