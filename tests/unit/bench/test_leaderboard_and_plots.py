from __future__ import annotations

import math

import pandas as pd
import pytest

from bench.errors import UserError
from bench.report.leaderboard import compare_at_hoyer, records_to_frame, render
from bench.report.plots import plot_all


def rec(method, seed, acc, hoyer, nll=4.0, beta=1.0, corpus="synthetic", extra=None, analysis=None):
    modes = {"mean": {"probe_accuracy": acc, "avg_hoyer": hoyer, **(extra or {})}}
    return {"status": "ok", "spec": {"method": method, "corpus": corpus, "seed": seed, "preset": "smoke"},
            "config": {"method_config": {"beta": beta, "latent_dim": 8}, "train": {"epochs": 3}},
            "metrics": {"modes": modes, "default_mode": "mean", "reconstruction": {"nll_per_token": nll},
                        "analysis": {"mean": analysis} if analysis else {}}}


RECORDS = [rec("vae", 0, 0.70, 0.20, 4.1), rec("vae", 1, 0.80, 0.30, 4.3),
           rec("hsvae", 0, 0.60, 0.60, 4.0), rec("hsvae", 1, 0.60, 0.60, 4.0),
           {"status": "failed", "spec": {"method": "ae"}}]


def test_mean_std_seeds_and_bold_best():
    out = render(RECORDS, fmt="md")
    assert "0.750 ± 0.071" in out  # mean and sample std (ddof=1) of 0.7, 0.8
    assert "**0.750 ± 0.071**" in out, "best probe accuracy per corpus and mode is bold"
    assert "**0.600 ± 0.000**" in out, "highest Average Hoyer is bold"
    assert "**4.000 ± 0.000**" in out, "lowest NLL is bold"
    assert out.count("| 2 ") >= 2
    methods = [line.split("|")[1].strip() for line in out.splitlines()[2:]]
    assert methods == ["hsvae", "vae"], "failed records are not in the table"


def test_formats():
    latex = render(RECORDS, fmt="latex")
    assert "\\toprule" in latex and "$\\pm$" in latex and "\\textbf{" in latex
    csv = pd.read_csv(__import__("io").StringIO(render(RECORDS, fmt="csv")))
    row = csv[csv.method == "vae"].iloc[0]
    assert row.probe_accuracy_mean == pytest.approx(0.75) and row.seeds == 2
    assert "<b>" in render(RECORDS, fmt="html")
    ci = render(RECORDS, fmt="md", ci=True)
    assert "[0.700, 0.800]" in ci


def test_unknown_metric_or_group_is_a_user_error():
    with pytest.raises(UserError, match="unknown metric 'acc'"):
        render(RECORDS, metrics=["acc"])
    with pytest.raises(UserError, match="cannot group by 'seed'"):
        render(RECORDS, group_by=["seed"])


def test_config_column_shows_only_what_varies():
    recs = [rec("vae", 0, 0.7, 0.2, beta=1.0), rec("vae", 0, 0.6, 0.4, beta=4.0), rec("hsvae", 0, 0.5, 0.5)]
    frame = records_to_frame(recs)
    assert sorted(frame["config"]) == ["", "beta=1.0", "beta=4.0"]


def test_a_group_by_without_the_config_never_averages_two_settings():
    recs = [rec("vae", 0, 0.7, 0.2, beta=1.0), rec("vae", 1, 0.5, 0.2, beta=1.0), rec("vae", 0, 0.1, 0.4, beta=4.0),
            rec("hsvae", 0, 0.5, 0.5), rec("hsvae", 1, 0.7, 0.5)]
    out = render(recs, ["probe_accuracy"], fmt="csv", group_by=["corpus", "method", "kind", "mode"])
    table = pd.read_csv(__import__("io").StringIO(out), keep_default_na=False)
    rows = {(r.method, r.config): (r.probe_accuracy_mean, r.seeds) for r in table.itertuples()}
    assert rows == {("vae", "beta=1.0"): (pytest.approx(0.6), 2), ("vae", "beta=4.0"): (pytest.approx(0.1), 1),
                    ("hsvae", ""): (pytest.approx(0.6), 2)}
    same = render(recs[3:], ["probe_accuracy"], fmt="csv", group_by=["corpus", "method", "kind", "mode"])
    assert "config" not in same.splitlines()[0], "a setting that does not vary adds no column"


def test_sweep_points_are_listed_in_the_order_of_their_values():
    """Text order put k=16 before k=4 and beta=0.01 before beta=0.001 (seen in the published sweep)."""
    betas = [0.01, 1.0, 0.001, 16.0, 4.0, 0.1]
    recs = [rec("vae", 0, 0.5, 0.2, beta=b) for b in betas] + [rec("ae", 0, 0.4, 0.1)]
    out = render(recs, ["probe_accuracy"], fmt="csv")
    table = pd.read_csv(__import__("io").StringIO(out), keep_default_na=False)
    assert list(table.method) == ["ae"] + ["vae"] * 6, "methods still in name order"
    assert list(table.config)[1:] == [f"beta={b}" for b in sorted(betas)]


def test_compare_at_hoyer_interpolates_along_the_sweep():
    recs = [rec("vae", 0, 0.8, 0.2, beta=1.0), rec("vae", 0, 0.6, 0.4, beta=4.0), rec("hsvae", 0, 0.5, 0.5)]
    table = compare_at_hoyer(recs, 0.3)
    vae = table[table.method == "vae"].iloc[0]
    assert vae["probe_accuracy@hoyer=0.3"] == pytest.approx(0.7)
    hs = table[table.method == "hsvae"].iloc[0]
    assert math.isnan(hs["probe_accuracy@hoyer=0.3"]) and "outside its range" in hs["note"]


def test_plots_from_records_alone(tmp_path):
    analysis = {"class_activation": {"profile": [[0.9, 0.1, 0.0], [0.1, 0.2, 0.7]]}}
    extra = {"class_kl_mean": 1.5, "probe_accuracy@10": 0.4, "probe_accuracy@100": 0.6}
    recs = [rec("vae", s, 0.7 + s / 10, 0.2, extra=extra, analysis=analysis) for s in (0, 1)]
    written, skipped = plot_all(recs, tmp_path, heatmaps=True)
    names = sorted(p.name for p in written)
    assert names == ["activation_vae_synthetic_text_mean.png", "class_kl.png", "probe_sizes.png", "tradeoff.png"]
    without, _ = plot_all(recs, tmp_path / "no-heatmaps")  # heatmaps are made on demand only
    assert sorted(p.name for p in without) == ["class_kl.png", "probe_sizes.png", "tradeoff.png"]
    assert skipped == ["curves.png: no record has a training curve (train with --set curve_every=N)"]
    for p in written:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    _, skipped = plot_all([rec("vae", 0, 0.7, 0.2)], tmp_path / "b")
    assert any("class_kl" in s for s in skipped)


def test_bolding_follows_each_metrics_declared_direction():
    """Counts where fewer is better are bold when lower (name-guessing made them bold when higher)."""
    good = rec("vae", 0, 0.7, 0.2, 4.0, extra={"probe_unconverged": 0, "class_silent": 0})
    bad = rec("hsvae", 0, 0.6, 0.5, 4.5, extra={"probe_unconverged": 3, "class_silent": 2})
    out = render([good, bad], metrics=["probe_unconverged", "class_silent", "nll_per_token", "avg_hoyer"])
    vae = next(line for line in out.splitlines() if line.startswith("| vae"))
    hsvae = next(line for line in out.splitlines() if line.startswith("| hsvae"))
    assert vae.count("**0**") == 2 and "**4.000**" in vae and "**" not in hsvae.replace("**0.500**", "")
    assert "**0.500**" in hsvae  # the higher Average Hoyer (sparser) is bold


def test_a_tie_for_bold_is_what_prints_the_same():
    """Class KLs of 1e-4 print apart (scientific), so only the largest is bold; accuracies that print
    as the same 3 decimals tie."""
    recs = [rec("hsvae", 0, 0.2501, 0.2, extra={"class_kl_mean": 3.8e-4}),
            rec("vae", 0, 0.2504, 0.2, extra={"class_kl_mean": 1.66e-4}),
            rec("mat", 0, 0.1800, 0.2, extra={"class_kl_mean": 0.0})]
    out = render(recs, metrics=["probe_accuracy", "class_kl_mean"])
    line = {m: next(row for row in out.splitlines() if row.startswith(f"| {m} ")) for m in ("hsvae", "vae", "mat")}
    assert "**3.80e-04**" in line["hsvae"] and "**" not in line["vae"].replace("**0.250**", "")
    assert "**0.250**" in line["hsvae"] and "**0.250**" in line["vae"] and "**" not in line["mat"]


def test_matched_view_compares_like_with_like():
    """HSVAE's deterministic sparse mean sits against the VAE's mean, its samples against the VAE's samples."""
    def two_kind(method, det, stoch, acc_det, acc_sto):
        r = rec(method, 0, acc_det, 0.3)
        r["metrics"]["modes"] = {det: {"probe_accuracy": acc_det, "avg_hoyer": 0.3},
                                 stoch: {"probe_accuracy": acc_sto, "avg_hoyer": 0.5},
                                 "mean" if method == "hsvae" else "extra": {"probe_accuracy": 0.99, "avg_hoyer": 0.1}}
        r["metrics"]["modes_kind"] = {det: "deterministic", stoch: "stochastic", "mean": "deterministic",
                                      "extra": "deterministic"}
        r["metrics"]["headline_modes"] = {"deterministic": det, "stochastic": stoch}
        return r

    recs = [two_kind("hsvae", "sparse_mean", "sample", 0.5, 0.3), two_kind("vae", "mean", "sample", 0.6, 0.2)]
    out = render(recs, metrics=["probe_accuracy"])
    rows = [[c.strip() for c in line.split("|")[1:-1]] for line in out.splitlines()[2:]]
    assert {(r[0], r[2], r[3]) for r in rows} == {("hsvae", "deterministic", "sparse_mean"), ("hsvae", "stochastic", "sample"),
                                               ("vae", "deterministic", "mean"), ("vae", "stochastic", "sample")}
    assert "0.99" not in out  # non-headline modes only with --modes all
    assert "**0.300**" in out and "**0.600**" in out  # best within each kind
    assert "0.990" in render(recs, metrics=["probe_accuracy"], modes="all")


def _plot_calls(monkeypatch):
    """Record what each figure draws: labels of the axes and of every line (no pixels compared)."""
    import matplotlib.axes

    calls: dict[str, list] = {"set": [], "errorbar": []}
    real_set, real_errorbar = matplotlib.axes.Axes.set, matplotlib.axes.Axes.errorbar

    def spy_set(self, **kw):
        calls["set"].append(kw)
        return real_set(self, **kw)

    def spy_errorbar(self, x, y, **kw):
        calls["errorbar"].append((list(x), list(y), kw.get("label")))
        return real_errorbar(self, x, y, **kw)

    monkeypatch.setattr(matplotlib.axes.Axes, "set", spy_set)
    monkeypatch.setattr(matplotlib.axes.Axes, "errorbar", spy_errorbar)
    return calls


def test_plot_axes_are_labelled_from_the_metric_table(tmp_path, monkeypatch):
    """Headers and directions come from the table (a new header shows up without touching the plots)."""
    import dataclasses

    import bench.report.plots as plots
    from tasks.metrics import all_metrics

    names = {m.name for m in all_metrics()}
    assert set(plots.PLOTTED) <= names, "every metric a figure draws is declared in the table"
    assert plots.axis_label("avg_hoyer") == "avg Hoyer ↑" and plots.axis_label("probe_accuracy") == "probe acc ↑"
    assert plots.axis_label("l0") == "L0"  # no direction declared: no arrow
    renamed = [dataclasses.replace(m, header="renamed acc") if m.name == "probe_accuracy" else m for m in all_metrics()]
    monkeypatch.setattr(plots, "metric_info", lambda c: next((m for m in renamed if m.matches(c)), None))
    calls = _plot_calls(monkeypatch)
    plot_all([rec("vae", 0, 0.7, 0.2)], tmp_path)
    assert {"xlabel": "avg Hoyer ↑", "ylabel": "renamed acc ↑"}.items() <= calls["set"][0].items()


def test_tradeoff_x_axis_is_selectable_and_draws_every_mode(tmp_path, monkeypatch):
    def sae(method, seed, acc, l0, hoyer):
        r = rec(method, seed, acc, hoyer, extra={"l0": l0})
        r["metrics"]["modes"]["sample"] = {"probe_accuracy": acc - 0.1, "avg_hoyer": hoyer + 0.1, "l0": l0 + 1}
        r["metrics"]["modes_kind"] = {"mean": "deterministic", "sample": "stochastic"}
        return r

    recs = [sae("topk", 0, 0.6, 8.0, 0.7), sae("topk", 1, 0.8, 10.0, 0.7), sae("hsvae", 0, 0.5, 32.0, 0.4)]
    calls = _plot_calls(monkeypatch)
    written, _ = plot_all(recs, tmp_path, x="l0")
    assert "tradeoff_l0.png" in {p.name for p in written} and not (tmp_path / "tradeoff.png").exists()
    assert calls["set"][0]["xlabel"] == "L0"
    lines = {label: (x, y) for x, y, label in calls["errorbar"]}
    assert set(lines) == {"topk (mean)", "topk (sample)", "hsvae (mean)", "hsvae (sample)"}
    assert lines["topk (mean)"] == ([9.0], [pytest.approx(0.7)])  # mean over seeds of l0 and accuracy
    assert lines["topk (sample)"] == ([10.0], [pytest.approx(0.6)])
    calls["errorbar"].clear()
    written, _ = plot_all(recs, tmp_path / "d")  # the default x-axis: Average Hoyer
    assert "tradeoff.png" in {p.name for p in written}
    assert {label: x for x, _, label in calls["errorbar"]}["hsvae (sample)"] == [pytest.approx(0.5)]
    with pytest.raises(UserError, match="unknown metric 'hoyr'.*avg_hoyer"):
        plot_all(recs, tmp_path, x="hoyr")


def test_a_variants_heatmap_is_drawn_beside_the_plain_methods(tmp_path):
    """vae-beta0.01 is its own row: its activation profile must not be dropped when vae's exists."""
    analysis = {"class_activation": {"profile": [[0.9, 0.1], [0.1, 0.8]]}}
    plain = rec("vae", 0, 0.7, 0.2, analysis=analysis)
    variant = rec("vae", 0, 0.6, 0.3, beta=0.01, analysis=analysis)
    variant["spec"]["variant"] = "vae-beta0.01"
    written, _ = plot_all([plain, variant], tmp_path, heatmaps=True)
    names = {p.name for p in written}
    assert {"activation_vae_synthetic_text_mean.png", "activation_vae-beta0.01_synthetic_text_mean.png"} <= names


def test_bench_plot_x_option(tmp_path):
    """`bench plot --x l0` writes the L0 trade-off; a misspelt metric is one line, exit code 2."""
    from click.testing import CliRunner

    from bench.cli import cli
    from bench.store.results import Store

    r = rec("topk", 0, 0.6, 0.7, extra={"l0": 8.0})
    r.update(cell_id="c", provenance={})
    Store(tmp_path).save("topk-synthetic-seed0-c", r)
    ok = CliRunner().invoke(cli, ["plot", "--results-dir", str(tmp_path), "--x", "l0"], prog_name="bench")
    assert ok.exit_code == 0, ok.output
    assert (tmp_path / "plots" / "tradeoff_l0.png").exists()
    bad = CliRunner().invoke(cli, ["plot", "--results-dir", str(tmp_path), "--x", "hoyr"], prog_name="bench")
    assert bad.exit_code == 2 and "did you mean 'avg_hoyer'" in bad.output and "Traceback" not in bad.output


def test_training_curves_are_the_mean_over_seeds_per_step_beside_the_reference_levels(tmp_path, monkeypatch):
    def curved(seed, accs, kl):
        r = rec("vae", seed, accs[-1], 0.2)
        r["metrics"]["curve"] = [{"epoch": e, "step": 10 * e, "mode": "mean", "probe_accuracy": a, "active_dims": 4.0,
                                  "kl": kl, "recon_per_unit": 3.0} for e, a in enumerate(accs, 1)]
        return r

    ref = rec("tfidf-svd", 0, 0.3, 0.1)
    ref["reference"] = {"name": "tfidf-svd"}
    ref["metrics"]["modes"] = {"code": {"probe_accuracy": 0.3}}
    ref["metrics"]["default_mode"] = "code"
    calls = _plot_calls(monkeypatch)
    lines = []
    import matplotlib.axes

    real = matplotlib.axes.Axes.axhline
    monkeypatch.setattr(matplotlib.axes.Axes, "axhline", lambda self, y, **kw: lines.append(y) or real(self, y, **kw))
    written, _ = plot_all([curved(0, [0.2, 0.4], 1.0), curved(1, [0.4, 0.6], 3.0), ref], tmp_path)
    assert "curves.png" in {p.name for p in written}
    drawn = [(x, y) for x, y, label in calls["errorbar"] if label == "vae (mean)" and x == [10, 20]]  # not tradeoff's
    assert drawn[0] == ([10, 20], [pytest.approx(0.3), pytest.approx(0.5)])  # accuracy, mean over the 2 seeds
    assert drawn[2] == ([10, 20], [pytest.approx(2.0), pytest.approx(2.0)])  # KL
    assert lines == [0.3], "the reference's accuracy is drawn once, on the accuracy panel"
    assert [c["ylabel"] for c in calls["set"] if c.get("xlabel") == "optimiser step"] == \
        ["probe acc ↑", "active dims", "KL (nats)", "test recon / token ↓"]


def _on_embedding(r, encoder="all-MiniLM-L6-v2", sha="c4a57a7f"):
    r = {**r, "spec": {**r["spec"], "encoder": encoder},
         "config": {**r["config"], "method_config": {**r["config"]["method_config"], "backbone": "embedding"},
                    "encoder": {"sha256": sha + "0" * 56, "dim": 384}}}
    return r


def test_backbones_are_never_ranked_together():
    """A folder of text- and embedding-backbone cells: a section per backbone, each with its own bold, and the
    config column does not carry `backbone=... encoder=...` (issue 23: csr on embeddings took hsvae's bold)."""
    text = [rec(m, s, acc, 0.6) for m, acc in (("hsvae", 0.50), ("vae", 0.40)) for s in (0, 1)]
    emb = [_on_embedding(rec(m, s, acc, 0.3)) for m, acc in (("csr", 0.90), ("topk", 0.85)) for s in (0, 1)]
    out = render(text + emb, fmt="md")
    sections = out.split("### backbone ")
    assert len(sections) == 3 and sections[1].startswith("embedding:all-MiniLM-L6-v2@c4a57a7f")
    assert sections[2].startswith("text")
    assert "**0.900 ± 0.000**" in sections[1] and "**0.500 ± 0.000**" in sections[2], "bold within each backbone"
    assert "backbone=" not in out and "encoder=" not in out
    csv = pd.read_csv(__import__("io").StringIO(render(text + emb, fmt="csv")))
    assert sorted(set(csv.backbone)) == ["embedding:all-MiniLM-L6-v2@c4a57a7f", "text"]
    # two encoders are two backbones, too
    other = [_on_embedding(rec("csr", s, 0.8, 0.3), encoder="other", sha="deadbeef") for s in (0, 1)]
    assert render(emb + other, fmt="md").count("### backbone ") == 2


def test_a_one_seed_row_never_takes_the_bold_from_replicated_rows():
    rows = [rec(m, s, acc, 0.5) for m, acc in (("hsvae", 0.60), ("ton", 0.30)) for s in range(3)]
    out = render(rows + [rec("ton-klwarmup", 0, 0.70, 0.9)], fmt="md")
    assert "**0.600 ± 0.000**" in out and "**0.700" not in out and "**0.900" not in out


def test_identical_seeds_print_a_zero_std_and_smoke_tables_carry_their_caveat():
    rows = [rec("tfidf", s, 0.408 + 1e-17 * s, 0.2) for s in range(3)]
    out = render(rows, fmt="md", notes=True)
    assert "0.408 ± 0.000" in out and "e-1" not in out
    assert "preset smoke: a tiny model trained for seconds" in out
    assert "preset smoke" not in render([{**r, "spec": {**r["spec"], "preset": "cpu"}} for r in rows], notes=True)


def _overlaps(labels) -> list[tuple[str, str]]:
    boxes = [(t.get_text(), t.get_window_extent()) for t in labels if t.get_text()]
    return [(a, b) for i, (a, box_a) in enumerate(boxes) for b, box_b in boxes[i + 1:] if box_a.overlaps(box_b)]


@pytest.fixture
def drawn(monkeypatch):
    """Every figure bench.report.plots saves, checked before it is closed: no two tick labels of an axis overlap."""
    import bench.report.plots as plots

    seen: dict[str, list] = {}
    real = plots._save

    def save(plt, fig, path):
        fig.canvas.draw()
        seen[path.name] = [(ax.get_title(), _overlaps(ax.get_xticklabels()) + _overlaps(ax.get_yticklabels()))
                           for ax in fig.axes if ax.get_title()]
        return real(plt, fig, path)

    monkeypatch.setattr(plots, "_save", save)
    return seen


def test_figures_never_mix_backbones_and_tick_labels_never_overlap(tmp_path, drawn):
    """A mixed folder: one panel per corpus and backbone in every figure, a heatmap per backbone (none
    overwritten), and class_kl.png legible with 20 long row labels (issue 23: a smear of x labels)."""
    analysis = {"class_activation": {"profile": [[0.9, 0.1], [0.1, 0.8]]}}
    extra = {"class_kl_mean": 0.5, "class_kl_null": 0.1, "probe_accuracy@10": 0.4}
    text = [rec(f"method-with-a-long-name-{i}", s, 0.5, 0.3, extra=extra, analysis=analysis)
            for i in range(20) for s in (0, 1)]
    emb = [_on_embedding(rec(f"method-with-a-long-name-{i}", s, 0.8, 0.2, extra=extra, analysis=analysis))
           for i in range(2) for s in (0, 1)]
    written, _ = plot_all(text + emb, tmp_path, heatmaps=True)
    names = {p.name for p in written}
    for figure in ("tradeoff.png", "class_kl.png", "probe_sizes.png"):
        titles = sorted(t for t, _ in drawn[figure])
        assert titles == ["synthetic · embedding:all-MiniLM-L6-v2@c4a57a7f", "synthetic · text"], figure
        assert all(not bad for _, bad in drawn[figure]), (figure, drawn[figure])
    assert {"activation_method-with-a-long-name-0_synthetic_text_mean.png",
            "activation_method-with-a-long-name-0_synthetic_embedding-all-MiniLM-L6-v2_mean.png"} <= names
    assert len(written) == len(names), "no file written twice"


def test_a_spread_below_the_shown_decimals_reads_as_below_them_not_in_scientific_notation():
    """"0.969 ± 2.18e-04" made a reader parse two notations in one cell; "0.969 ± <0.001" says the same at the
    table's resolution.  Beside a mean itself in scientific notation (a class KL of 1e-5) the std stays scientific."""
    from bench.report.leaderboard import _fmt, format_spread

    assert format_spread(0.969, 2.18e-4, 3) == "<0.001"
    assert format_spread(0.969, 0.0012, 3) == "0.001" and format_spread(0.969, 0.0, 3) == "0.000"
    assert format_spread(1.2e-5, 3e-6, 3) == "3.00e-06"  # the mean is scientific: so is its spread
    assert _fmt(0.969, 2.18e-4, 3, " ± ") == "0.969 ± <0.001"
    assert _fmt(0.5, float("nan"), 3, " ± ") == "0.500"
