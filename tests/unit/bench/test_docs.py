"""The README's metric tables are the metric table: names, directions and definitions agree."""
from __future__ import annotations

from bench.paper.docs import BEGIN, END, README, metric_section
from tasks.metrics import builtin_scorers


def test_readme_metric_tables_match_the_metric_table():
    text = README.read_text(encoding="utf-8")
    assert BEGIN in text and END in text, "README.md must hold the generated metric tables"
    section = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert section == metric_section().strip(), "README metric tables are stale: run `python -m bench.paper.docs`"
    for scorer in builtin_scorers():
        for metric in scorer.metrics:
            assert f"`{metric.name}`" in section
