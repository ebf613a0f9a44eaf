"""`bench list presets` says where each preset's settings come from (``Preset.source``)."""
from __future__ import annotations

from click.testing import CliRunner

from bench.cli import cli
from bench.config.presets import PRESETS


def test_presets_are_listed_with_their_source():
    res = CliRunner().invoke(cli, ["list", "presets", "--wide"], prog_name="bench")
    assert res.exit_code == 0, res.output
    assert "source" in res.output.splitlines()[1]
    flat = " ".join(res.output.split())  # the table wraps long cells
    sourced = {name: p.source for name, p in PRESETS.items() if p.source}
    assert sourced, "the paper presets declare their source"
    for name, source in sourced.items():
        assert " ".join(source.split()[:6]) in flat, f"source of preset {name} not shown"


def test_every_setting_that_set_takes_is_listed_with_its_default_range_and_doc():
    """`--set` takes every training and scoring field: each is listed, documented, with its default."""
    import dataclasses

    from bench.config.resolve import TrainConfig
    from tasks.scoring import ScoringConfig

    res = CliRunner().invoke(cli, ["list", "settings", "--wide"], prog_name="bench")
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    body = lines[next(i for i, line in enumerate(lines) if line.startswith("---")) + 1:]
    rows = {line.split()[0]: line for line in body if line.strip()}
    for cls, scope in ((TrainConfig, "training"), (ScoringConfig, "scoring")):
        for f in dataclasses.fields(cls):
            assert f.metadata.get("doc"), f"{f.name} has no doc for `bench list settings`"
            assert f.name in rows and scope in rows[f.name] and f.metadata["doc"] in rows[f.name], f.name
    assert "≥ 0 and ≤ 1" in rows["kl_warmup"] and " 0.0 " in rows["kl_warmup"]
    # what a bare `bench run` uses (preset smoke) beside the field's own (the paper's) default
    assert "a bare `bench run` uses preset smoke" in res.output
    assert rows["epochs"].split()[2:4] == ["15", "3"] and rows["batch_size"].split()[2:4] == ["256", "64"]


def test_every_listing_fits_100_columns_unless_wide():
    from bench.cli.listing import WHAT, WIDTH

    for what in WHAT:
        res = CliRunner().invoke(cli, ["list", what], prog_name="bench")
        assert res.exit_code == 0, res.output
        assert max(len(line) for line in res.output.splitlines()) <= WIDTH, what
    wide = CliRunner().invoke(cli, ["list", "methods", "--wide"], prog_name="bench")
    assert max(len(line) for line in wide.output.splitlines()) > WIDTH  # the hyperparameters on one line


def test_the_fitted_tables_never_cut_a_mode_a_hyperparameter_or_a_setting_in_two():
    """Wrapping at a narrow cap printed "backbone=embed" over "ding" and "max_train_sent" over "ences": each
    mode, hyperparameter and setting name is a whole token on one line of the fitted tables."""
    from methods.registry import builtin_methods

    res = CliRunner().invoke(cli, ["list", "methods"], prog_name="bench")
    assert res.exit_code == 0, res.output
    table = res.output[:res.output.index("\nvariant ")]
    tokens = {tok for line in table.splitlines() for tok in line.split()}
    for name, entry in builtin_methods().items():
        for k, v in entry.hyperparameters().items():
            assert f"{k}={v}" in tokens, (name, k)
        for mode in entry.modes:
            assert any(t.rstrip("*~") == mode for t in tokens), (name, mode)
    # the water-filling cuts inside a word only where whole words cannot fit: never a setting's name
    import dataclasses

    from bench.config.resolve import TrainConfig
    from tasks.scoring import ScoringConfig

    settings = CliRunner().invoke(cli, ["list", "settings"], prog_name="bench").output
    names = {line.split()[0] for line in settings.splitlines() if line.strip()}
    assert {f.name for cls in (TrainConfig, ScoringConfig) for f in dataclasses.fields(cls)} <= names


def test_methods_list_shows_every_sweep_with_its_sources_in_100_columns():
    """Each point of each built-in sweep is a row whose settings cite numbered sources, listed in full below."""
    import re

    from bench.cli.listing import SWEEP_WIDTH
    from methods.registry import builtin_methods
    from methods.sweeps import sweep_of

    res = CliRunner().invoke(cli, ["list", "methods"], prog_name="bench")
    assert res.exit_code == 0, res.output
    section = res.output[res.output.index("sweeps (bench run --sweep)"):]
    assert max(len(line) for line in section.splitlines()) <= SWEEP_WIDTH
    sources_at = section.index("\nsources:\n")
    notes = {int(n): " ".join(text.split()) for n, text in
             re.findall(r"^\[(\d+)\] (.*?)(?=^\[\d+\] |\Z)", section[sources_at:], flags=re.S | re.M)}
    rows = section[:sources_at]
    for name, entry in builtin_methods().items():
        sw = sweep_of(entry.config)
        for k, what in sw.knobs:
            assert re.search(rf"^{name}\s+{k}\s+{re.escape(what[:30])}", rows, flags=re.M), (name, k)
        for i, p in enumerate(sw.points, 1):
            row = re.search(rf"^\s*(?:{name})?\s+{i}\s+{re.escape(p.name)}\*?\s+(.*)$", rows, flags=re.M)
            assert row, (name, p.name)
            if sw.control:
                assert sw.control[:30] in row.group(1)
            for k, v, src in p.spelled():
                cited = re.search(rf"{k}={re.escape(v)} \[(\d+)\]", row.group(1))
                assert cited and notes[int(cited.group(1))] == " ".join(str(src).split()), (name, p.name, k)
