"""`bench leaderboard --format html` is a page that opens on its own: doctype, UTF-8, styles, footnotes, sorting."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parents[2] / "results" / "reference"


@pytest.fixture
def page(run_bench, tmp_path) -> Path:
    out = tmp_path / "leaderboard.html"
    res = run_bench("leaderboard", "--results-dir", str(REFERENCE), "--format", "html", "-o", str(out),
                    "--all-protocols")  # the published records, whatever scoring protocol they are of
    assert res.exit_code == 0, res.output
    return out


def test_the_page_is_standalone(page):
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in text and "<style>" in text
    tracks = [p for p in REFERENCE.iterdir() if (p / "runs").is_dir()]  # text, embedding and the frontier sweeps
    assert "±" in text and text.count("<table") == len(tracks) >= 2  # a table per track (each of one backbone)
    assert 'class="note"' in text and "(reference): a non-learned reference" in text  # the footnotes came along
    assert "<script src" not in text and "<link" not in text  # nothing fetched: it works offline


def test_the_page_renders_in_headless_chromium(page, headless):
    dom, pixels = headless(page)
    assert dom.count('class="sortable"') >= 20  # the sorting script ran on every header of both tables
    assert re.search(r"<td>hsvae\s*</td>", dom)
    assert pixels.shape == (900, 1200) and pixels.std() > 20  # not blank: text, rules and bands drawn
    assert (pixels < 100).mean() > 0.01  # dark text is on the page
