"""The published reference leaderboard is what its records say: the committed summaries are exactly what
`bench leaderboard` makes from the committed records (the command experiments/reference/tables.sh runs),
and results/reference/README.md carries those summaries.  A record added without regenerating the tables fails here.

A scoring-protocol bump (``tasks.scoring.SCORING_VERSION``) makes every published record one of an
older protocol until the grid is re-scored from its stored weights (the training ids are unchanged).
Until then the tables are read as of the records' own protocol: the newest scoring protocol among a
track's records (today's or older), and the tables that protocol's leaderboard made of them."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from bench.cli import cli
from bench.paper.docs import REFERENCE_BLOCKS, REFERENCE_README, REFERENCE_TRACKS, ROOT, reference_block, reference_markers
from tasks.scoring import SCORING_VERSION

SUMMARY_ARGS = {"embedding": "probe_accuracy,l0,active_dims,fvu,recon_probe_accuracy",
                "text": "probe_accuracy,probe_accuracy@100,avg_hoyer,active_dims,class_kl_excess,nll_per_token"}


def _summary_metrics(track: str) -> str:
    """The summary columns, read from tables.sh so the test and the script cannot disagree."""
    script = (ROOT / "experiments" / "reference" / "tables.sh").read_text()
    found = re.findall(r"^\s*summary=(\S+)$", script, flags=re.M)
    assert len(found) == 2, "tables.sh sets summary= once per track"
    return found[0] if track == "text" else found[1]


@pytest.mark.parametrize("track", REFERENCE_TRACKS)
def test_committed_summary_is_regenerated_from_the_records(track, tmp_path, as_of_the_records_protocol):
    runs = ROOT / "results" / "reference" / track / "runs"
    assert any(runs.glob("*/record.json")), f"no committed records under {runs}"
    as_of_the_records_protocol(track)
    assert _summary_metrics(track) == SUMMARY_ARGS[track]
    out = tmp_path / "summary.md"
    res = CliRunner().invoke(cli, ["leaderboard", "--results-dir", str(runs.parent), "--metric", SUMMARY_ARGS[track],
                                   "--group-by", "corpus,method,kind,mode", "-o", str(out)], prog_name="bench")
    assert res.exit_code == 0, res.output
    assert out.read_text().strip() == reference_block(track), \
        "results/reference summary is stale: run `bash experiments/reference/tables.sh`"


@pytest.mark.parametrize("block", REFERENCE_BLOCKS)
def test_the_reference_readme_shows_the_committed_tables(block):
    begin, end = reference_markers(block)
    text = REFERENCE_README.read_text(encoding="utf-8")
    assert text.split(begin, 1)[1].split(end, 1)[0].strip() == reference_block(block), \
        "results/reference/README.md's table is stale: run `python -m bench.paper.docs`"


def test_committed_claims_are_what_the_rule_makes_of_the_records(as_of_the_records_protocol, capsys):
    from bench.paper.claims import main

    as_of_the_records_protocol("text")
    assert main([str(ROOT / "results" / "reference" / "text"), "--single-point"]) == 0  # in-process
    assert capsys.readouterr().out.strip() == reference_block("text-claims"), \
        "claims.md is stale: run `bash experiments/reference/tables.sh`"


def test_the_embedding_track_is_complete():
    """Issue 14's grid: 9 methods x 2 corpora x 3 seeds, every record ok, and both references per seed."""
    runs = sorted((ROOT / "results" / "reference" / "embedding" / "runs").glob("*/record.json"))
    records = [json.loads(p.read_text()) for p in runs]
    cells = {(r["spec"]["method"], r["spec"]["corpus"], r["spec"]["seed"]) for r in records if "reference" not in r}
    assert len(cells) == 54 and all(r["status"] == "ok" for r in records)
    refs = {(r["reference"]["name"], r["spec"]["corpus"], r["spec"]["seed"]) for r in records if "reference" in r}
    assert len(refs) == 12


def test_the_text_track_is_complete():
    """Issue 11's grid: 7 configurations x 2 corpora x 3 seeds on the fixed protocol (preset `reference`,
    trained on valid), every record ok, and the three references per corpus and seed."""
    runs = sorted((ROOT / "results" / "reference" / "text" / "runs").glob("*/record.json"))
    records = [json.loads(p.read_text()) for p in runs]
    assert all(r["status"] == "ok" for r in records)
    cells = {(r["spec"].get("variant") or r["spec"]["method"], r["spec"]["corpus"], r["spec"]["seed"])
             for r in records if "reference" not in r and r["spec"]["preset"] == "reference"
             and r["spec"]["train_split"] == "valid"}
    grid = {(m, c, s) for m in ("hsvae", "mat", "ton", "sparsemax", "vae", "vae-beta0.01", "ae")
            for c in ("yahoo", "dbpedia") for s in (0, 1, 2)}
    assert grid <= cells, sorted(grid - cells)
    refs = {(r["reference"]["name"], r["spec"]["corpus"], r["spec"]["seed"]) for r in records if "reference" in r}
    assert {(n, c, s) for n in ("tfidf", "tfidf-svd", "untrained") for c in ("yahoo", "dbpedia")
            for s in (0, 1, 2)} <= refs


def test_the_committed_cells_keep_their_ids_so_the_grid_resumes_them():
    """A change of the configuration schema (a new option) must leave a published cell's id unchanged,
    or `run.sh` would train it again: every committed cell's id is what its spec resolves to today, and
    every committed reference row's id is what the references beside those cells resolve to today.
    A record of an older scoring protocol keeps its training id (the grid re-scores its stored
    weights instead of training it again); only its scoring part, and so its cell id, is another."""
    from bench.cells.method import MethodCell
    from bench.cells.reference import references_for
    from bench.config.spec import SCORING_KEYS, RunSpec

    def training_part(config: dict) -> dict:
        return {k: v for k, v in config.items() if k not in SCORING_KEYS}

    for runs in (ROOT / "results" / "reference").glob("*/runs"):
        records = [json.loads(path.read_text()) for path in sorted(runs.glob("*/record.json"))]
        cells = {}
        for record in records:
            if "reference" in record:
                continue
            cell = MethodCell.resolve(RunSpec.from_dict(record["spec"]))
            assert cell.spec.to_dict() == record["spec"], record["cell_id"]
            assert cell.training_config == training_part(record["config"]), record["cell_id"]
            assert cell.train_id == record["train_id"], record["cell_id"]
            if record["config"]["scoring_protocol"] == SCORING_VERSION:
                assert cell.config == record["config"] and cell.cell_id == record["cell_id"], record["cell_id"]
            else:
                assert record["config"]["scoring_protocol"] < SCORING_VERSION, record["cell_id"]
            cells[cell.cell_id] = cell
        refs = [r for r in records if "reference" in r]
        assert refs, f"no committed reference rows under {runs}"
        # a sweep published as it arrives holds the references made beside all of its declared cells (the run
        # that made them ran the whole grid), committed or not yet: e.g. a PCA budget of a method still pending
        candidates = [*cells.values(), *declared_by(runs.parent.name)]
        for record in refs:
            spec = record["spec"]
            beside = [c for c in candidates if (c.spec.corpus, c.spec.seed, c.spec.preset, c.spec.train_split)
                      == (spec["corpus"], spec["seed"], spec["preset"], spec["train_split"])]
            checksums = record["provenance"]["checksums"]
            made = [r for r in references_for(beside, lambda cell: checksums) if r.name == spec["method"]]
            if record["config"]["scoring_protocol"] == SCORING_VERSION:
                assert record["cell_id"] in {r.cell_id for r in made}, f"reference {record['cell_id']} is not made today"
            else:  # of an older scoring protocol: today's reference is the same but for its scoring part
                assert training_part(record["config"]) in [training_part(r.config) for r in made], record["cell_id"]


def declared_by(track: str) -> list:
    """The cells a published sweep's experiment file declares, frontier seeds included (none for a track that is
    not a sweep)."""
    from tests.integration.test_reference_sweeps import SWEEPS, _progress_module

    if track not in SWEEPS:
        return []
    progress = _progress_module()
    return progress.declared(ROOT / SWEEPS[track], progress.committed(ROOT / "results/reference" / track)[0].values())


def test_every_text_track_record_is_of_the_published_protocol():
    """Until the text grid is complete (issue 11: 7 configurations x 2 corpora x 3 seeds), what is
    committed must at least be of its protocol: a configuration of the grid or a diagnostic variant of
    experiments/reference/diagnostics.toml, preset reference, trained on valid, finished."""
    import tomllib

    diagnostics = tomllib.loads((ROOT / "experiments" / "reference" / "diagnostics.toml").read_text())
    grid = {"hsvae", "mat", "ton", "sparsemax", "vae", "vae-beta0.01", "ae"}
    refs = {"tfidf", "tfidf-svd", "untrained"}
    for path in sorted((ROOT / "results" / "reference" / "text" / "runs").glob("*/record.json")):
        record = json.loads(path.read_text())
        spec, name = record["spec"], path.parent.name
        assert record["status"] == "ok", name
        assert (spec["preset"], spec.get("train_split"), spec["corpus"] in ("yahoo", "dbpedia"), spec["seed"] in (0, 1, 2)) \
            == ("reference", "valid", True, True), name
        if "reference" in record:
            assert record["reference"]["name"] in refs, name
        elif spec.get("variant") in diagnostics["variants"]:
            assert spec["corpus"] == "yahoo" and spec["seed"] == 0, name
        else:  # nothing set beyond the preset, except a built-in variant's own settings
            from bench.config.variants import BUILTIN_VARIANTS

            label = spec.get("variant") or spec["method"]
            own = [list(kv) for kv in BUILTIN_VARIANTS[label].overrides()] if label in BUILTIN_VARIANTS else []
            assert label in grid and spec.get("overrides", []) == own, name
