"""The generated tables of the documentation are what their sources make today: the metric table is the
declared scorers, the README's method table is the method registry, and the README's metric questions
are docs/metrics.md's and name every built-in scorer."""
from __future__ import annotations

import re

import pytest

from bench.paper.docs import (BEGIN, END, METRICS_DOC, Block, blocks, method_section, metric_section,
                              question_section, render_between)
from methods.registry import builtin_methods
from tasks.metrics import builtin_scorers


def _ids(block: Block) -> str:
    return block.name


@pytest.mark.parametrize("block", blocks(), ids=_ids)
def test_every_generated_block_is_up_to_date(block):
    assert block.committed() == block.body().strip(), \
        f"{block.where}: the {block.name} block is stale: run `python -m bench.paper.docs`"


def test_the_metric_table_in_docs_metrics_is_the_declared_one():
    text = METRICS_DOC.read_text(encoding="utf-8")
    assert BEGIN in text and END in text, "docs/metrics.md must hold the generated metric table"
    section = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert section == metric_section().strip()
    for scorer in builtin_scorers():
        for metric in scorer.metrics:
            assert f"`{metric.name}`" in section


def test_the_method_table_lists_every_built_in_with_its_modes():
    table = method_section()
    rows = [line for line in table.splitlines()[2:]]
    assert [row.split("|")[1].strip() for row in rows] == [f"`{name}`" for name in builtin_methods()]
    for row, entry in zip(rows, builtin_methods().values()):
        modes = re.findall(r"`([^`]+)`", row.split("|")[4])
        assert modes[0] == entry.default_mode and sorted(modes) == sorted(entry.modes)
        assert entry.identity.description in row.replace("\\|", "|")


def test_the_metric_questions_name_every_scorer_and_only_declared_metrics():
    table = question_section()
    declared = {m.name for s in builtin_scorers() for m in s.metrics}
    rows = [line.split(" | ") for line in table.splitlines()[2:]]
    scorers = {name for row in rows for name in re.findall(r"`([^`]+)`", row[-1])}
    assert scorers == {s.name for s in builtin_scorers()}
    named = {name for row in rows for name in re.findall(r"`([^`]+)`", row[1])}
    assert named and named <= declared, f"not declared: {sorted(named - declared)}"


def test_render_between_replaces_only_the_block_and_names_a_missing_marker():
    text = "head\n<!-- b -->\nold\n<!-- e -->\ntail"
    assert render_between(text, "<!-- b -->", "<!-- e -->", "new") == "head\n<!-- b -->\nnew\n<!-- e -->\ntail"
    with pytest.raises(ValueError, match="docs/x.md lacks the markers"):
        render_between("no markers", "<!-- b -->", "<!-- e -->", "new", "docs/x.md")


def test_the_progress_line_counts_cells_hours_and_each_corpus_first_seed(tmp_path):
    from bench.paper.docs import first_seed_points, frontier_progress_section

    folder = tmp_path / "frontier-text"
    for name in ("hsvae-yahoo-seed0-aa", "mat-yahoo-seed0-bb", "hsvae-yahoo-seed1-cc", "hsvae-dbpedia-seed0-dd",
                 "ref-tfidf-yahoo-seed0-ee"):
        (folder / "runs" / name).mkdir(parents=True)
    (folder / "PROGRESS.md").write_text(
        "# Progress\n\n4 of 9 cells committed (scoring protocol 6); 5 pending; 1.5 core-hours so far (training).\n\n"
        "Pending cells:\n\n- `mat-dbpedia-seed0-ff`: mat on dbpedia\n- `ton-dbpedia-seed0-gg`: ton on dbpedia\n"
        "- `mat-yahoo-seed1-hh`: mat on yahoo (seed 1)\n", encoding="utf-8")
    line = frontier_progress_section("text", tmp_path)
    assert line.startswith("**In progress**: 4 of 9 cells, 1.5 core-hours so far; first seed: dbpedia 1 of 3, "
                           "yahoo 2 of 2 points"), line
    assert first_seed_points("text", tmp_path) == {("hsvae", "dbpedia"): (1, 1), ("hsvae", "yahoo"): (1, 1),
                                                   ("mat", "dbpedia"): (0, 1), ("mat", "yahoo"): (1, 1),
                                                   ("ton", "dbpedia"): (0, 1)}
    (folder / "PROGRESS.md").write_text(  # with the estimate of what is left, and seeds that grow with frontiers
        "4 of 9 cells committed (scoring protocol 6); 5 pending; 1.5 core-hours so far (training); about 2.5 "
        "core-hours left for the pending cells (from stored timings of similar cells).\n\nSeeds 1, 2 are "
        "declared for the points on a frontier of the committed records.\n", encoding="utf-8")
    assert frontier_progress_section("text", tmp_path).startswith(
        "**In progress**: 4 of 9 cells, 1.5 core-hours so far (about 2.5 more for the 5 pending; further seeds come "
        "with each new frontier point); first seed: dbpedia 1 of 1, yahoo 2 of 2 points")
    (folder / "PROGRESS.md").write_text(  # every declared cell in: its size and cost, no "so far", no estimate
        "4 of 4 cells committed (scoring protocol 7); 0 pending; 1.5 core-hours in all (training).\n\nSeeds 1, 2 "
        "are declared for the points on a frontier of the committed records (either mode kind): frontier seeds "
        "1,2: 1 point(s) on a frontier get them (2 cell(s)), 2 off every frontier do not.\n", encoding="utf-8")
    assert frontier_progress_section("text", tmp_path) == (
        "**Complete**: 4 cells, 1.5 core-hours (3 points at their first seed; seeds 1, 2 for the 1 on a frontier) "
        "([PROGRESS.md](results/reference/frontier-text/PROGRESS.md)).")
    (folder / "PROGRESS.md").write_text("# Progress\n", encoding="utf-8")
    with pytest.raises(ValueError, match="lacks its 'N of M cells committed' line"):
        frontier_progress_section("text", tmp_path)
