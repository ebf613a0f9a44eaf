"""The use metrics' figures: the k-sparse surface per row and accuracy against FLOPS, from records alone."""
from __future__ import annotations

import pytest

from bench.report.metric_plots import PLOTTED, metric_figures
from tasks.metrics import all_metrics


def _surface(scale: float) -> list[dict]:
    return [{"per_class": n, "k": k, "accuracy_mean": scale * k / (20 if n is None else 40)}
            for n in (10, None) for k in (1, 5, 20)]


def _rec(method, seed, scale, flops, raw_flops, corpus="synthetic", mode="mean"):
    scores = {"probe_accuracy": 0.5 + scale / 10, "masked_flops": flops, "retrieval_flops": raw_flops,
              "masked_precision@10": 0.4 * scale, "retrieval_precision@10": (0.4 if flops == raw_flops else 0.41) * scale}
    return {"status": "ok", "spec": {"method": method, "corpus": corpus, "seed": seed, "preset": "smoke"},
            "config": {"method_config": {"latent_dim": 8}, "train": {"epochs": 3}},
            "metrics": {"modes": {mode: scores}, "default_mode": mode,
                        "analysis": {mode: {"ksparse_probes": {"surface": _surface(scale)}}}}}


def _calls(monkeypatch):
    import matplotlib.axes

    calls = {"errorbar": [], "scatter": []}
    real_errorbar, real_scatter = matplotlib.axes.Axes.errorbar, matplotlib.axes.Axes.scatter

    def errorbar(self, x, y, *a, **kw):
        calls["errorbar"].append((self, list(x), [float(v) for v in y], kw.get("label")))  # titled afterwards
        return real_errorbar(self, x, y, *a, **kw)

    def scatter(self, x, y, *a, **kw):
        calls["scatter"].append((list(x), list(y), kw.get("label")))
        return real_scatter(self, x, y, *a, **kw)

    monkeypatch.setattr(matplotlib.axes.Axes, "errorbar", errorbar)
    monkeypatch.setattr(matplotlib.axes.Axes, "scatter", scatter)
    return calls


def test_every_drawn_metric_is_declared():
    names = {m.name for m in all_metrics()}
    assert set(PLOTTED) <= names


def test_the_surface_is_one_panel_per_row_one_line_per_label_size_mean_over_seeds(tmp_path, monkeypatch):
    calls = _calls(monkeypatch)
    recs = [_rec("topk", 0, 1.0, 0.9, 0.9), _rec("topk", 1, 0.8, 0.9, 0.9), _rec("hsvae", 0, 0.5, 6.0, 32.0)]
    written, skipped = metric_figures(recs, tmp_path)
    assert sorted(p.name for p in written) == ["accuracy_flops.png", "ksparse_synthetic.png"] and skipped == []
    lines = {(ax.get_title(), label): (x, y) for ax, x, y, label in calls["errorbar"]}
    assert set(lines) == {("topk (mean)", "10 per class"), ("topk (mean)", "all labels"),
                          ("hsvae (mean)", "10 per class"), ("hsvae (mean)", "all labels")}
    assert lines[("topk (mean)", "all labels")][0] == [1, 5, 20]
    # mean over the two seeds (scales 1.0 and 0.8) of scale · k / 20
    assert lines[("topk (mean)", "all labels")][1] == pytest.approx([0.9 * k / 20 for k in (1, 5, 20)])
    for p in written:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_accuracy_against_flops_marks_the_code_as_it_is_where_masking_changes_it(tmp_path, monkeypatch):
    calls = _calls(monkeypatch)
    recs = [_rec("topk", 0, 1.0, 0.9, 0.9), _rec("hsvae", 0, 0.5, 6.0, 32.0)]
    metric_figures(recs, tmp_path)
    labelled: dict = {}
    for x, y, label in calls["scatter"]:
        if label:
            labelled.setdefault((label, tuple(x)), []).extend(y)
    # top: probe accuracy, bottom: precision@10 of the masked index, both at the masked index's FLOPS
    assert labelled[("hsvae (mean)", (6.0,))] == [pytest.approx(0.55), pytest.approx(0.2)]
    assert labelled[("topk (mean)", (0.9,))] == [pytest.approx(0.6), pytest.approx(0.4)]
    hollow = [x for x, _, label in calls["scatter"] if label is None]
    assert [32.0] in hollow and [0.9] not in hollow, "the raw index is drawn only where it differs"


def test_bench_plot_draws_them_and_a_record_without_them_is_skipped_and_said(tmp_path):
    from click.testing import CliRunner

    from bench.cli import cli
    from bench.store.results import Store

    r = _rec("topk", 0, 1.0, 0.9, 0.9)
    r.update(cell_id="c", provenance={})
    Store(tmp_path).save("topk-synthetic-seed0-c", r)
    res = CliRunner().invoke(cli, ["plot", "--results-dir", str(tmp_path)], prog_name="bench")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "plots" / "ksparse_synthetic.png").exists() and (tmp_path / "plots" / "accuracy_flops.png").exists()
    bare = _rec("topk", 0, 1.0, 0.9, 0.9)
    bare["metrics"]["analysis"] = {}
    del bare["metrics"]["modes"]["mean"]["masked_flops"]
    _, skipped = metric_figures([bare], tmp_path / "b")
    assert skipped == ["ksparse_<corpus>.png: no record has a k-sparse surface (scorer ksparse_probes)",
                       "accuracy_flops.png: no record has masked_flops"]


def test_two_backbones_never_share_a_surface_figure_or_a_panel(tmp_path, monkeypatch):
    calls = _calls(monkeypatch)
    text = _rec("hsvae", 0, 0.5, 6.0, 32.0)
    emb = _rec("hsvae", 0, 1.0, 6.0, 32.0)
    emb["config"]["method_config"]["backbone"] = "embedding"
    emb["config"]["encoder"] = {"sha256": "abcdef123456", "dim": 384}
    emb["spec"]["encoder"] = "all-MiniLM-L6-v2"
    written, _ = metric_figures([text, emb], tmp_path)
    surfaces = sorted(p.name for p in written if p.name.startswith("ksparse_"))
    assert len(surfaces) == 2 and surfaces[1].startswith("ksparse_synthetic-text"), surfaces
    assert "embedding" in surfaces[0] and "all-MiniLM-L6-v2" in surfaces[0]
    titles = {ax.get_title() for ax, *_ in calls["errorbar"]}
    assert titles == {"hsvae (mean)"}, "each backbone's row is a panel of its own figure"
