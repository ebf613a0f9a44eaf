"""Frontiers on hand-made points and hand-written records: what is dropped, what is interpolated (exactly,
and never outside a frontier's range), the area against hand-computed values, seeds grouped, and the
`bench frontier` command on a folder mixing the text and embedding backbones."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner

from bench.cli import cli
from bench.report.frontier import (ACCURACY_OF, AUC_RANGE, READINGS, Frontier, Point, auc_span, bracket, collect, frontier_auc,
                            frontier_frame, level_texts, nice_levels, non_dominated, render)


def pt(label, acc, x, kl=None, xname="avg_hoyer", masked=None):
    """A point from per-seed lists (seed i = position i); its masked probe accuracy is ``acc`` unless given."""
    values = {"probe_accuracy": dict(enumerate(acc)), "masked_probe_accuracy": dict(enumerate(masked or acc)),
              xname: dict(enumerate(x))}
    if kl is not None:
        values["class_kl_excess"] = dict(enumerate(kl))
    return Point(label, values)


# -- the frontier -----------------------------------------------------------------------------------

def test_dominated_points_are_dropped_and_the_frontier_is_sorted_by_sparsity():
    a = pt("a", [0.80], [0.2])
    b = pt("b", [0.70], [0.5])
    c = pt("c", [0.60], [0.4])   # dominated by b: less sparse and less accurate
    d = pt("d", [0.70], [0.3])   # dominated by b: as accurate, less sparse (strictly better in one)
    e = pt("e", [0.50], [0.9])
    f = Frontier.of([c, e, a, d, b], "avg_hoyer")
    assert [p.label for p in f.front] == ["a", "b", "e"]
    assert {p.label for p in f.dominated} == {"c", "d"}
    assert f.range == (0.2, 0.9)


def test_fewer_active_dims_is_sparser():
    """On active dims the direction flips: 4 dims at 0.7 dominates 8 dims at 0.6."""
    few, many = pt("few", [0.7], [4.0], xname="active_dims"), pt("many", [0.6], [8.0], xname="active_dims")
    assert [p.label for p in Frontier.of([many, few], "active_dims").front] == ["few"]
    assert [p.label for p in Frontier.of([many, few], "avg_hoyer").front] == []  # no point has that reading
    assert READINGS == {"active_dims": -1, "avg_hoyer": 1}


def test_non_dominated_keeps_one_of_exact_duplicates_and_both_of_a_trade_off():
    assert non_dominated(np.array([0.3, 0.3, 0.5]), np.array([0.7, 0.7, 0.6])).tolist() == [True, False, True]
    assert non_dominated(np.array([0.3, 0.3]), np.array([0.7, 0.8])).tolist() == [False, True]


# -- interpolation ----------------------------------------------------------------------------------

def test_interpolation_is_exact_on_a_line_per_seed_and_in_the_mean():
    """Points on y = a·x + b (each seed shifted by its own offset): any interior level gives a·x + b,
    each seed its own line, and the spread is the offsets' std, as on the points."""
    a, b, offsets = -0.5, 0.9, [-0.01, 0.0, 0.013]
    points = [pt(str(x), [a * x + b + o for o in offsets], [x] * 3) for x in (0.1, 0.3, 0.6)]
    f = Frontier.of(points, "avg_hoyer")
    for level in (0.1, 0.15, 0.2, 0.3, 0.45, 0.6):
        at = f.at(level)
        assert at.mean == pytest.approx(a * level + b + np.mean(offsets), abs=1e-12)
        assert at.paired and at.std == pytest.approx(np.std(offsets, ddof=1), abs=1e-12)
        assert at.values() == pytest.approx([a * level + b + o for o in offsets], abs=1e-12)


def test_no_extrapolation_outside_a_frontiers_range():
    f = Frontier.of([pt("p", [0.8, 0.82], [0.2, 0.2]), pt("q", [0.6, 0.61], [0.5, 0.5])], "avg_hoyer")
    assert f.at(0.19) is None and f.at(0.51) is None and f.at(1.0) is None
    assert f.at(0.2).mean == pytest.approx(0.81) and f.at(0.5).mean == pytest.approx(0.605)
    assert bracket([0.2, 0.5], 0.2 - 1e-12) == (0, 0, 0.0)  # float noise at an end is that end
    assert bracket([], 0.3) is None


def test_unshared_seeds_interpolate_the_spread_and_say_so():
    """Neighbours with disjoint seeds: the mean from the seed means, the spread from the two stds."""
    p = Point("p", {"probe_accuracy": {0: 0.8, 1: 0.9}, "avg_hoyer": {0: 0.2, 1: 0.2}})
    q = Point("q", {"probe_accuracy": {2: 0.5, 3: 0.7}, "avg_hoyer": {2: 0.6, 3: 0.6}})
    at = Frontier.of([p, q], "avg_hoyer").at(0.3)  # a quarter of the way
    assert not at.paired
    assert at.mean == pytest.approx(0.75 * 0.85 + 0.25 * 0.6)
    assert at.std == pytest.approx(0.75 * np.std([0.8, 0.9], ddof=1) + 0.25 * np.std([0.5, 0.7], ddof=1))


def test_a_metric_along_accuracy():
    """Claim (c) reads the class KL along accuracy, which is strictly monotone on a frontier."""
    f = Frontier.of([pt("p", [0.8, 0.8], [0.2, 0.2], kl=[1.0, 2.0]), pt("q", [0.6, 0.6], [0.5, 0.5], kl=[3.0, 4.0])],
                    "avg_hoyer")
    at = f.at_accuracy(0.7, "class_kl_excess")
    assert at.values() == pytest.approx([2.0, 3.0])
    assert f.at_accuracy(0.9, "class_kl_excess") is None


# -- the area ---------------------------------------------------------------------------------------

def test_area_by_hand_on_average_hoyer():
    """(0.2, 0.8), (0.6, 0.4) on [0, 1]: 0.8·0.2 (a code at least that sparse) + (0.8 + 0.4)/2·0.4 = 0.40."""
    assert frontier_auc([0.2, 0.6], [0.8, 0.4], 1, (0.0, 1.0)) == pytest.approx(0.40)
    f = Frontier.of([pt("a", [0.8], [0.2]), pt("b", [0.4], [0.6]), pt("dominated", [0.3], [0.5])], "avg_hoyer")
    assert f.auc((0.0, 1.0)) == pytest.approx(0.40)


def test_area_by_hand_on_active_dims():
    """Span [0, 16] dims; (12 dims, 0.9), (4 dims, 0.5): u = 1 − x/16 = 0.25, 0.75; 0.9·0.25 + 0.7·0.5 = 0.575."""
    assert frontier_auc([12.0, 4.0], [0.9, 0.5], -1, (0.0, 16.0)) == pytest.approx(0.575)
    with pytest.raises(ValueError, match="outside"):
        frontier_auc([20.0], [0.9], -1, (0.0, 16.0))


def test_a_single_sweep_point_has_no_area():
    assert math.isnan(Frontier.of([pt("a", [0.8], [0.2])], "avg_hoyer").auc((0.0, 1.0)))
    assert AUC_RANGE["avg_hoyer"] == (0.0, 1.0)


def test_nice_levels_stay_inside_the_range():
    assert nice_levels(0.2134, 0.5871, 5) == pytest.approx([0.22, 0.31, 0.40, 0.49, 0.58])
    assert nice_levels(0.22995, 0.23807, 5) == pytest.approx([0.2300, 0.2320, 0.2340, 0.2360, 0.2380])
    assert nice_levels(1.4, 21.7, 3) == [2.0, 12.0, 21.0]
    assert level_texts([0.23, 0.232, 0.2345]) == ["0.2300", "0.2320", "0.2345"]
    assert level_texts([2.0, 12.0]) == ["2", "12"]
    assert nice_levels(3.0, 3.0) == [3.0] and nice_levels(1.0, 0.0) == []


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


# -- from records -----------------------------------------------------------------------------------

def record(method, seed, acc, hoyer, dims, corpus="yahoo", backbone="text", variant=None, settings=None,
           reference=None, kind_modes=None, kl=0.01, collapsed=None):
    """A successful record as the store holds it, with a deterministic headline mode ``mean`` and a
    stochastic one ``sample`` (a little sparser, less accurate)."""
    modes = kind_modes or {
        "mean": {"probe_accuracy": acc, "avg_hoyer": hoyer, "active_dims": dims, "class_kl_excess": kl},
        "sample": {"probe_accuracy": acc - 0.05, "avg_hoyer": hoyer + 0.05, "active_dims": dims - 1,
                   "class_kl_excess": kl}}
    for scores in modes.values():  # a code whose inactive entries are exact zeros: the masked probe is the probe
        if "probe_accuracy" in scores:
            scores.setdefault("masked_probe_accuracy", scores["probe_accuracy"])
    kinds = {m: ("deterministic" if m != "sample" else "stochastic") for m in modes}
    heads = {"deterministic": next(m for m in modes if kinds[m] == "deterministic"),
             "stochastic": "sample" if "sample" in modes else None}
    spec = {"method": method, "corpus": corpus, "seed": seed, "preset": "cpu", "train_split": "valid"}
    method_config = {} if reference else {"backbone": backbone, "latent_dim": 32, **(settings or {})}
    if backbone == "embedding":
        spec["encoder"] = "all-MiniLM-L6-v2"
    if variant:
        spec["variant"] = variant
    rec = {"cell_id": f"{method}{variant or ''}{json.dumps(settings, sort_keys=True)}{seed}{corpus}{backbone}",
           "status": "ok", "spec": spec, "provenance": {},
           "config": {"method_config": method_config, "train": {"epochs": 3}, "eval": {"probe_C": 1.0}},
           "metrics": {"modes": modes, "modes_kind": kinds, "headline_modes": heads,
                       "default_mode": heads["deterministic"],
                       "reconstruction": {} if collapsed is None else {"collapsed_dims": collapsed}}}
    if reference:
        rec["reference"] = {"name": method, "track": backbone}
    return rec


def sweep(method, points, seeds=(0, 1, 2), **kw):
    """Records of a sweep: ``points`` = [(settings, acc, hoyer, dims)], seed s adds 0.01·(s − 1) to acc."""
    return [record(method, s, acc + 0.01 * (s - 1), hoyer, dims, settings=settings, **kw)
            for settings, acc, hoyer, dims in points for s in seeds]


def test_seeds_are_grouped_per_configuration_and_a_variant_is_a_point_of_its_method():
    recs = (sweep("vae", [({"beta": 1.0}, 0.50, 0.30, 20.0)])
            + sweep("vae", [({"beta": 0.01}, 0.70, 0.20, 30.0)], variant="vae-beta0.01"))
    panels = collect(recs)
    det = next(ss for p, ss in panels.items() if p.kind == "deterministic")
    (vae,) = det
    assert vae.method == "vae" and vae.varies == ("beta",)
    by = {p.label: p for p in vae.points}
    assert set(by) == {"beta=1.0", "beta=0.01"}
    assert by["beta=1.0"].mean("probe_accuracy") == pytest.approx(0.50)
    assert by["beta=1.0"].std("probe_accuracy") == pytest.approx(0.01)  # sample std of 0.49, 0.50, 0.51
    assert by["beta=0.01"].seeds("probe_accuracy") == [0, 1, 2]
    sto = next(ss for p, ss in panels.items() if p.kind == "stochastic")[0]
    assert {p.label: p.mean("avg_hoyer") for p in sto.points} == pytest.approx({"beta=1.0": 0.35, "beta=0.01": 0.25})


def test_a_training_curve_setting_neither_splits_a_point_nor_names_one():
    """``curve_every`` leaves the trained model as it is: seeds 0-1 without curves and seed 2 with them are
    one point of three seeds, and a sweep's label names what it varied (beta), never the curve setting."""
    recs = sweep("vae", [({"beta": 1.0}, 0.50, 0.30, 20.0), ({"beta": 0.01}, 0.70, 0.20, 30.0)])
    for r in recs:
        if r["spec"]["seed"] == 2 or r["config"]["method_config"]["beta"] == 0.01:
            r["config"]["train"] = {**r["config"]["train"], "curve_every": 4}
    det = next(ss for p, ss in collect(recs).items() if p.kind == "deterministic")
    (vae,) = det
    assert vae.varies == ("beta",)
    assert {p.label: p.seeds("probe_accuracy") for p in vae.points} == {"beta=1.0": [0, 1, 2], "beta=0.01": [0, 1, 2]}


def test_text_and_embedding_records_never_share_a_panel():
    recs = (sweep("hsvae", [({"psi": 0.01}, 0.60, 0.40, 10.0), ({"psi": 0.1}, 0.55, 0.50, 8.0)])
            + sweep("hsvae", [({"psi": 0.01}, 0.90, 0.30, 12.0), ({"psi": 0.1}, 0.85, 0.45, 9.0)], backbone="embedding")
            + [record("tfidf", s, 0.40, 0.98, 11.0, reference=True,
                      kind_modes={"code": {"probe_accuracy": 0.40, "avg_hoyer": 0.98, "active_dims": 11.0}})
               for s in (0, 1)]
            + [record("embedding", s, 0.95, 0.1, 384.0, backbone="embedding", reference=True,
                      kind_modes={"code": {"probe_accuracy": 0.95, "avg_hoyer": 0.1, "active_dims": 384.0}})
               for s in (0, 1)])
    panels = collect(recs)
    assert {(p.backbone, p.encoder, p.kind) for p in panels} == {
        ("text", "", "deterministic"), ("text", "", "stochastic"),
        ("embedding", "all-MiniLM-L6-v2", "deterministic"), ("embedding", "all-MiniLM-L6-v2", "stochastic")}
    for panel, series in panels.items():
        accs = {round(p.mean("probe_accuracy"), 2) for s in series if not s.reference for p in s.points}
        refs = {s.method for s in series if s.reference}
        if panel.backbone == "text":
            assert max(accs) < 0.7 and refs == {"tfidf"}
        else:
            assert min(accs) > 0.7 and refs == {"embedding"}
    out = render(recs)
    text_block = out.split("### yahoo · text backbone · deterministic modes")[1].split("###")[0]
    assert "hsvae" in text_block and "0.600 ± 0.010" in text_block and "0.900" not in text_block
    assert "tfidf (reference)" in text_block and "embedding (reference)" not in text_block
    assert "### yahoo · embedding backbone (all-MiniLM-L6-v2) · deterministic modes" in out


def test_the_active_dims_frontier_reads_the_masked_probe_and_the_hoyer_frontier_the_whole_code():
    """Scoring protocol 7: "k active dims" is scored by the probe of those dims (the inactive entries zeroed), so a
    code whose accuracy lies in the entries it counts as off is not credited with it on the active-dims frontier;
    Average Hoyer reads the whole code, and so does its frontier's accuracy."""
    hidden = Point("hidden", {"probe_accuracy": {0: 0.20}, "masked_probe_accuracy": {0: 0.10},
                              "active_dims": {0: 3.0}, "avg_hoyer": {0: 0.6}})
    dense = Point("dense", {"probe_accuracy": {0: 0.25}, "masked_probe_accuracy": {0: 0.25},
                            "active_dims": {0: 17.0}, "avg_hoyer": {0: 0.2}})
    by_dims, by_hoyer = Frontier.of([hidden, dense], "active_dims"), Frontier.of([hidden, dense], "avg_hoyer")
    assert [p.mean("probe_accuracy") for p in by_dims.front] == [0.10, 0.25]
    assert [p.mean("probe_accuracy") for p in by_hoyer.front] == [0.25, 0.20]
    assert by_dims.at(10.0).mean == pytest.approx(0.10 + 0.15 * 7 / 14)
    older = Point("older protocol", {"probe_accuracy": {0: 0.3}, "active_dims": {0: 2.0}, "avg_hoyer": {0: 0.9}})
    assert [p.label for p in Frontier.of([older, dense], "active_dims").points] == ["dense"]  # no masked probe
    assert ACCURACY_OF == {"active_dims": "masked_probe_accuracy", "avg_hoyer": "probe_accuracy"}
    out = render(sweep("hsvae", [({"psi": 0.01}, 0.80, 0.2, 20.0), ({"psi": 0.1}, 0.60, 0.6, 10.0)]), x="active_dims")
    assert "y = masked probe accuracy (the probe of the code with the entries" in out
    assert "frontier (active dims → masked probe acc)" in out
    assert "y = probe accuracy (mean" in render(sweep("hsvae", [({"psi": 0.01}, 0.80, 0.2, 20.0)]))


def scored_under(records, protocol):
    """``records`` as scored under scoring ``protocol``; before protocol 7 a record has no masked probe."""
    for rec in records:
        rec["config"]["scoring_protocol"] = protocol
        if protocol < 7:
            for scores in rec["metrics"]["modes"].values():
                scores.pop("masked_probe_accuracy", None)
    return records


def test_records_scored_before_the_masked_probe_draw_their_active_dims_frontier_with_the_whole_code():
    """A history track (results/reference/text/, scoring protocol 2) has no masked probe: its active-dims
    frontiers read the whole code's probe, as published, and say so; records of the two protocols never share a
    frontier, and each table names the accuracy it shows."""
    from bench.paper.claims import judge_frontiers
    from bench.report.frontier import accuracy_of, render_markdown

    points = [({"psi": 0.01}, 0.80, 0.2, 20.0), ({"psi": 0.1}, 0.60, 0.6, 10.0), ({"psi": 1.0}, 0.40, 0.8, 4.0)]
    rival = [({"a": 1}, 0.7, 0.3, 18.0), ({"a": 2}, 0.5, 0.5, 12.0), ({"a": 3}, 0.3, 0.7, 6.0)]
    old = scored_under(sweep("hsvae", points) + sweep("mat", rival), 2)
    assert accuracy_of("active_dims", 2) == "probe_accuracy" and accuracy_of("active_dims", 7) == accuracy_of("active_dims")
    out = render(old, x="active_dims", levels=[15.0])
    assert "no point has both readings" not in out
    assert "y = probe accuracy (mean ± std over seeds)" in out and "masked" not in out
    hsvae = cells(next(line for line in out.split("deterministic modes")[1].splitlines() if line.startswith("| hsvae ")))
    assert hsvae[1] == "3 / 3" and hsvae[-1] == "0.700 ± 0.010"  # halfway from (10, 0.6) to (20, 0.8)
    verdicts = [v for v in judge_frontiers(collect(old)) if v.reading == "active_dims"]
    assert verdicts and all(v.verdict != "inconclusive" for v in verdicts)

    new = scored_under(sweep("hsvae", points), 7)
    for rec in new:  # today's records: the masked probe is lower than the whole code's
        for scores in rec["metrics"]["modes"].values():
            scores["masked_probe_accuracy"] = scores["probe_accuracy"] - 0.1
    panels = collect(old + new)
    assert {(p.kind, p.scoring_protocol) for p in panels} == {(k, v) for k in ("deterministic", "stochastic") for v in (2, 7)}
    both = render_markdown(panels, "active_dims", [15.0])
    assert "y = masked probe accuracy (the probe of the code with the entries" in both
    assert "or, for records scored before protocol 7 (which have none), probe accuracy, as each table's header" in both
    blocks = {b.split("\n")[0]: b for b in both.split("### ")[1:]}
    old_det, new_det = (blocks[f"yahoo · text backbone · deterministic modes · scoring protocol {v}"] for v in (2, 7))
    assert "(active dims → probe acc)" in old_det and "| hsvae " in old_det
    assert "(active dims → masked probe acc)" in new_det
    assert cells(next(line for line in new_det.splitlines() if line.startswith("| hsvae ")))[-1] == "0.600 ± 0.010"


def test_the_table_reads_matched_levels_inside_each_frontier_only():
    recs = (sweep("hsvae", [({"psi": 0.01}, 0.80, 0.2, 20.0), ({"psi": 0.1}, 0.60, 0.6, 10.0)])
            + sweep("mat", [({"gamma": 0.8}, 0.70, 0.3, 18.0), ({"gamma": 0.5}, 0.65, 0.4, 15.0),
                            ({"gamma": 0.2}, 0.50, 0.35, 16.0)]))
    out = render(recs, levels=[0.25, 0.35, 0.5])
    det = out.split("deterministic modes")[1].split("###")[0]
    hsvae, mat = (cells(next(line for line in det.splitlines() if line.startswith(f"| {m} ")))
                  for m in ("hsvae", "mat"))
    # on the line from (0.2, 0.8) to (0.6, 0.6): 0.8 − 0.5·(level − 0.2); each seed ±0.01
    assert hsvae[-3:] == ["0.775 ± 0.010", "0.725 ± 0.010", "0.650 ± 0.010"]
    assert hsvae[1] == "2 / 2" and hsvae[4] == "0.440"  # area: 0.8·0.2 + (0.8 + 0.6)/2·0.4
    assert mat[-3:] == ["–", "0.675 ± 0.010", "–"]  # mat's frontier covers [0.3, 0.4] only
    assert "dominated: gamma=0.2" in mat[3] and mat[1] == "2 / 3"
    frame = frontier_frame(collect(recs), "avg_hoyer", [0.25, 0.35, 0.5])
    levels = frame[(frame["row"] == "level") & (frame["kind"] == "deterministic") & (frame["method"] == "mat")]
    assert levels["probe_accuracy_mean"].isna().tolist() == [True, False, True]
    points = frame[(frame["row"] == "point") & (frame["kind"] == "deterministic") & (frame["method"] == "hsvae")]
    assert points["frontier_auc"].iloc[0] == pytest.approx(0.8 * 0.2 + 0.7 * 0.4)


def test_single_points_say_there_is_no_frontier():
    recs = sweep("hsvae", [({}, 0.6, 0.4, 10.0)]) + sweep("mat", [({}, 0.5, 0.3, 12.0)])
    out = render(recs)
    assert "Every method has one sweep point here: no frontier yet" in out
    assert out.count("1 point: no frontier (0.400 → 0.600 ± 0.010)") == 1
    assert "n/a" in out


def test_auc_span_is_the_panels_densest_point_on_active_dims():
    recs = sweep("hsvae", [({"psi": 0.01}, 0.8, 0.2, 20.0), ({"psi": 0.1}, 0.6, 0.6, 10.0)]) \
        + sweep("mat", [({}, 0.7, 0.3, 25.0)])
    det = next(ss for p, ss in collect(recs).items() if p.kind == "deterministic")
    assert auc_span(det, "active_dims") == (0.0, 25.0)
    assert auc_span(det, "avg_hoyer") == (0.0, 1.0)


# -- the command ------------------------------------------------------------------------------------

def write_records(root, records):
    """Hand-written record.json files under ROOT/runs, as `bench run` leaves them."""
    for i, rec in enumerate(records):
        folder = root / "runs" / f"{rec['spec']['method']}-{rec['spec']['corpus']}-seed{rec['spec']['seed']}-{i:04d}"
        folder.mkdir(parents=True)
        (folder / "record.json").write_text(json.dumps(rec))


def mixed_folder(tmp_path):
    recs = (sweep("hsvae", [({"psi": 0.01}, 0.60, 0.40, 10.0), ({"psi": 0.1}, 0.55, 0.50, 8.0),
                            ({"psi": 1.0}, 0.45, 0.70, 5.0)])
            + sweep("hsvae", [({"psi": 0.01}, 0.90, 0.30, 12.0), ({"psi": 0.1}, 0.85, 0.45, 9.0)],
                    backbone="embedding")
            + sweep("vae", [({"beta": 1.0}, 0.50, 0.30, 20.0), ({"beta": 0.01}, 0.62, 0.25, 30.0)])
            + [record("tfidf", s, 0.4, 0.98, 11.0, reference=True,
                      kind_modes={"code": {"probe_accuracy": 0.4, "avg_hoyer": 0.98, "active_dims": 11.0}})
               for s in (0, 1)])
    write_records(tmp_path, recs)
    return recs


def test_bench_frontier_on_a_folder_of_records(tmp_path):
    mixed_folder(tmp_path)
    out_md, png = tmp_path / "frontiers.md", tmp_path / "fig" / "frontiers.png"
    res = CliRunner().invoke(cli, ["frontier", "--results-dir", str(tmp_path), "-o", str(out_md), "--plot", str(png)],
                             prog_name="bench")
    assert res.exit_code == 0, res.output
    assert "### yahoo · text backbone · deterministic modes" in res.output
    assert "### yahoo · embedding backbone (all-MiniLM-L6-v2) · stochastic modes" in res.output
    assert out_md.read_text().strip() in res.output and png.stat().st_size > 0
    csv = CliRunner().invoke(cli, ["frontier", "--results-dir", str(tmp_path), "--format", "csv", "--x", "active_dims",
                                   "--levels", "9,10"], prog_name="bench")
    assert csv.exit_code == 0, csv.output
    import io

    import pandas as pd

    frame = pd.read_csv(io.StringIO(csv.output))
    assert set(frame["x"]) == {"active_dims"}
    emb = frame[(frame["backbone"] == "embedding") & (frame["row"] == "level") & (frame["kind"] == "deterministic")]
    assert emb["x_mean"].tolist() == [9.0, 10.0]
    assert emb["masked_probe_accuracy_mean"].tolist() == pytest.approx([0.85, 0.85 + 0.05 / 3])
    assert set(frame[frame["backbone"] == "text"]["method"]) == {"hsvae", "vae", "tfidf"}


def test_the_brief_table_drops_the_listing_of_points_and_keeps_every_reading(tmp_path):
    mixed_folder(tmp_path)
    args = ["frontier", "--results-dir", str(tmp_path), "--levels", "0.3,0.45"]
    full = CliRunner().invoke(cli, args, prog_name="bench")
    brief = CliRunner().invoke(cli, [*args, "--brief"], prog_name="bench")
    assert full.exit_code == 0 and brief.exit_code == 0, brief.output
    block = brief.output.split("### yahoo · text backbone · deterministic modes")[1].split("###")[0]
    heads = cells(next(line for line in block.splitlines() if line.startswith("| method")))
    assert heads[1] == "frontier / swept (reference: avg Hoyer → acc)" and "frontier (" not in " ".join(heads)
    hsvae = cells(next(line for line in block.splitlines() if line.startswith("| hsvae ")))
    tfidf = cells(next(line for line in block.splitlines() if line.startswith("| tfidf (reference) ")))
    full_block = full.output.split("### yahoo · text backbone · deterministic modes")[1].split("###")[0]
    full_hsvae = cells(next(line for line in full_block.splitlines() if line.startswith("| hsvae ")))
    assert hsvae == full_hsvae[:3] + full_hsvae[4:]  # the same readings, less the listing of points
    assert hsvae[1] == "3 / 3" and "→" not in " ".join(hsvae)
    assert tfidf[1] == "0.980 → 0.400 ± 0.000"  # a reference's one point, in the column the listing leaves


def test_bench_frontier_user_errors(tmp_path):
    empty = CliRunner().invoke(cli, ["frontier", "--results-dir", str(tmp_path)], prog_name="bench")
    assert empty.exit_code == 2 and "no successful run records" in empty.output
    old = tmp_path / "old"
    from tasks.scoring import SCORING_VERSION

    write_records(old, [dict(r, config={**r.get("config", {}), "scoring_protocol": SCORING_VERSION - 1})
                        for r in sweep("vae", [({"beta": 1.0}, 0.50, 0.30, 20.0)])])
    stale = CliRunner().invoke(cli, ["frontier", "--results-dir", str(old)], prog_name="bench")
    assert stale.exit_code == 2 and "Traceback" not in stale.output, stale.output
    assert "none of the 3 successful run record(s)" in stale.output and f"scoring {SCORING_VERSION}" in stale.output
    assert "re-scores the cells whose weights are kept" in stale.output
    assert f"--as-published reads them as they were published (scoring protocol {SCORING_VERSION - 1})" in stale.output
    # --as-published reads them as of their own protocol (how tables.sh regenerates a track published under an
    # older one); a record older still, beside them, stays left out
    older = sweep("vae", [({"beta": 0.01}, 0.9, 0.2, 25.0)], seeds=(0,))[0]
    older["config"]["scoring_protocol"] = SCORING_VERSION - 2
    write_records(old / "older", [older])
    (old / "older" / "runs" / next((old / "older" / "runs").iterdir()).name).rename(old / "runs" / "older-cell")
    published = CliRunner().invoke(cli, ["frontier", "--results-dir", str(old), "--as-published", "--brief"],
                                   prog_name="bench")
    assert published.exit_code == 0, published.output
    assert "1 record(s) from an older protocol left out (e.g. older-cell)" in published.output
    assert "| vae " in published.output and "| 1 / 1 " in published.output  # beta=1 only: beta=0.01 is older still
    mixed_folder(tmp_path)
    bad = CliRunner().invoke(cli, ["frontier", "--results-dir", str(tmp_path), "--levels", "0.2,x"], prog_name="bench")
    assert bad.exit_code == 2 and "invalid --levels" in bad.output and "Traceback" not in bad.output


def test_the_commands_choices_are_the_modules():
    from bench.cli import frontier as command
    from bench.report.frontier import FORMATS

    assert set(command.READINGS) == set(READINGS) and command.FORMATS == FORMATS


def test_bench_frontier_help_does_not_import_torch():
    import subprocess
    import sys

    code = ("import sys\nfrom bench.cli import cli\n"
            "try:\n    cli.main(args=['frontier', '--help'], prog_name='bench')\n"
            "except SystemExit:\n    pass\nassert 'torch' not in sys.modules, 'torch was imported'\nprint('NO_TORCH')")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "NO_TORCH" in res.stdout, res.stderr


# -- the figure -------------------------------------------------------------------------------------

def _overlaps(boxes):
    return [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:] if a.overlaps(b)]


@pytest.mark.parametrize("x", sorted(READINGS))
def test_the_figure_has_one_panel_per_backbone_and_kind_and_tick_labels_that_do_not_overlap(tmp_path, x):
    from bench.report.plots import frontier_figure

    recs = mixed_folder(tmp_path)
    fig = frontier_figure(collect(recs), x)
    axes = [ax for ax in fig.axes if ax.has_data()]
    assert len(axes) == 4  # (text, embedding) × (deterministic, stochastic)
    assert {ax.get_title() for ax in axes} == {
        "yahoo · text backbone · deterministic modes", "yahoo · text backbone · stochastic modes",
        "yahoo · embedding backbone (all-MiniLM-L6-v2) · deterministic modes",
        "yahoo · embedding backbone (all-MiniLM-L6-v2) · stochastic modes"}
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in axes:
        boxes = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]
        assert len(boxes) >= 2 and not _overlaps(boxes), ax.get_title()
        assert ax.xaxis_inverted() == (READINGS[x] < 0), "sparser is always to the right"
    labels = {t.get_text() for t in fig.legends[0].get_texts()}
    assert {"hsvae (sweeps psi)", "vae (sweeps beta)"} <= labels
    # TF-IDF (11 active dims, Average Hoyer 0.98): among the text methods' 5–30 dims it is a mark at its own
    # sparsity; beyond their Hoyer range (0.25–0.70) a line at its accuracy, said to be off the axis
    text_det = next(ax for ax in axes if ax.get_title() == "yahoo · text backbone · deterministic modes")
    marks = [c for c in text_det.collections if c.get_label() == "tfidf (reference)"]
    lines = [ln for ln in text_det.get_lines() if ln.get_label().startswith("tfidf (reference)")]
    if x == "active_dims":
        assert "tfidf (reference)" in labels and len(marks) == 1 and not lines
        assert marks[0].get_offsets().tolist() == [[11.0, pytest.approx(0.4)]]
    else:
        assert "tfidf (reference): off the axis, its accuracy as a line" in labels and not marks and len(lines) == 1
        assert lines[0].get_ydata()[0] == pytest.approx(0.4)
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_docs_frontiers_holds_the_declared_aggregate_metrics():
    from bench.paper.docs import AGGREGATE_BEGIN, AGGREGATE_END, FRONTIER_DOC, aggregate_section
    from tasks.aggregate_metrics import AGGREGATE_METRICS

    text = FRONTIER_DOC.read_text(encoding="utf-8")
    section = text.split(AGGREGATE_BEGIN, 1)[1].split(AGGREGATE_END, 1)[0].strip()
    assert section == aggregate_section().strip(), "docs/frontiers.md is stale: run `python -m bench.paper.docs`"
    assert {m.name for m in AGGREGATE_METRICS} == {"frontier_points", "frontier_accuracy", "frontier_auc"}
    assert all(f"`{m.name}`" in section and m.definition.strip() for m in AGGREGATE_METRICS)


def test_the_table_headers_come_from_the_declarations():
    out = render(sweep("hsvae", [({"psi": 0.01}, 0.8, 0.2, 20.0), ({"psi": 0.1}, 0.6, 0.6, 10.0)]), levels=[0.3])
    assert "| frontier / swept " in out and "frontier AUC ↑" in out and "| acc @ avg Hoyer 0.3 " in out


def test_panels_of_two_protocols_are_told_apart():
    """Another preset or scoring setting is another panel, and its title says which."""
    smoke = sweep("hsvae", [({"psi": 0.01}, 0.6, 0.4, 10.0)])
    for r in smoke:
        r["spec"]["preset"] = "smoke"
    probe = sweep("hsvae", [({"psi": 0.01}, 0.7, 0.4, 10.0)])
    for r in probe:
        r["config"]["eval"] = {"probe_C": 0.1}
    plain = sweep("hsvae", [({"psi": 0.01}, 0.65, 0.4, 10.0)])
    titles = [line for line in render(smoke + probe + plain).splitlines() if line.startswith("### ")]
    assert len(titles) == len(set(titles)) == 6
    assert "### yahoo · text backbone · deterministic modes · preset smoke, probe_C=1.0" in titles
    assert "### yahoo · text backbone · deterministic modes · preset cpu, probe_C=0.1" in titles


def test_a_reference_of_two_latent_sizes_is_two_references():
    def pca(seed, dim, acc):
        r = record("embedding-pca", seed, acc, 0.2, float(dim), backbone="embedding", reference=True,
                   kind_modes={"code": {"probe_accuracy": acc, "avg_hoyer": 0.2, "active_dims": float(dim)}})
        r["config"]["method_config"] = {"latent_dim": dim}
        return r

    # stored 64 before 4 (and 4 after 32 as text): listed by the latent size's value
    recs = [pca(s, 64, 0.93) for s in (0, 1)] + [pca(s, 4, 0.70) for s in (0, 1)] + [pca(s, 32, 0.90) for s in (0, 1)]
    (refs,) = [ss for p, ss in collect(recs).items() if p.kind == "deterministic"]
    assert [(s.name, len(s.points), s.points[0].mean("probe_accuracy")) for s in refs] == [
        ("embedding-pca [latent_dim=4] (reference)", 1, pytest.approx(0.70)),
        ("embedding-pca [latent_dim=32] (reference)", 1, pytest.approx(0.90)),
        ("embedding-pca [latent_dim=64] (reference)", 1, pytest.approx(0.93))]


def test_the_matched_table_across_corpora_reads_each_frontier_and_places_references_by_their_sparsity():
    from bench.report.frontier import render_matched_across

    def pca(corpus, dim, measured, acc):
        r = record("embedding-pca", 0, acc, 0.2, measured, corpus=corpus, backbone="embedding", reference=True,
                   kind_modes={"code": {"probe_accuracy": acc, "avg_hoyer": 0.2, "active_dims": measured}})
        r["config"]["method_config"] = {"latent_dim": dim}
        return r

    recs = []
    for corpus, shift in (("dbpedia", 0.2), ("yahoo", 0.0)):
        # a line from (4 dims, 0.5) to (16 dims, 0.8): 0.5 + 0.025·(level − 4), seeds ±0.01
        recs += sweep("topk", [({"k": 4}, 0.5 + shift, 0.9, 4.0), ({"k": 16}, 0.8 + shift, 0.6, 16.0)],
                      corpus=corpus, backbone="embedding")
        recs += sweep("ae", [({}, 0.7 + shift, 0.1, 30.0)], corpus=corpus, backbone="embedding")
        recs += [pca(corpus, 8, 7.5, 0.6 + shift), pca(corpus, 64, 59.0, 0.9 + shift)]
    panels = {p: s for p, s in collect(recs).items() if p.kind == "deterministic"}
    out = render_matched_across(panels, "active_dims", [4.0, 8.0, 12.0])
    lines = out.splitlines()
    assert cells(lines[0]) == ["method", "dbpedia: AUC", "@4", "@8", "@12", "yahoo: AUC", "@4", "@8", "@12"]
    topk = cells(next(line for line in lines if line.startswith("| topk ")))
    # area over [0, 30] dims (to the panel's densest point), u = 1 − x/30: 0.8 from u = 0 to the densest frontier
    # point (16 dims), the trapezoid to the sparsest (4 dims), nothing beyond: (0.8·14 + 0.65·12) / 30
    assert topk[5] == f"{(0.8 * 14 + 0.65 * 12) / 30:.3f}" == "0.633"
    assert topk[6:] == ["0.500 ± 0.010", "0.600 ± 0.010", "0.700 ± 0.010"]
    assert topk[2:5] == ["0.700 ± 0.010", "0.800 ± 0.010", "0.900 ± 0.010"]
    ae = cells(next(line for line in lines if line.startswith("| ae ")))
    assert ae[1:] == ["n/a", "–", "–", "–"] * 2
    ref = cells(next(line for line in lines if line.startswith("| embedding-pca (reference) ")))
    assert ref[1:] == ["", "–", "0.800 (7.500)", "–", "", "–", "0.600 (7.500)", "–"]  # 7.5 is within 15% of 8 only
    assert "One point, no frontier (active dims → masked probe accuracy): ae on dbpedia: 30.000 → 0.900 ± 0.010" in out
    assert "References at no level" in out and "[latent_dim=64] (reference) on yahoo: 59.000 → 0.900 (1 seed)" in out


def test_the_matched_table_shows_counts_not_a_frontier_for_a_corpus_whose_first_seed_is_still_running():
    from bench.report.frontier import render_matched_across

    recs = []
    for corpus in ("dbpedia", "yahoo"):
        recs += sweep("topk", [({"k": 4}, 0.5, 0.9, 4.0), ({"k": 16}, 0.8, 0.6, 16.0)], corpus=corpus,
                      backbone="embedding")
    recs += sweep("ae", [({}, 0.7, 0.1, 30.0)], corpus="dbpedia", backbone="embedding")
    panels = {p: s for p, s in collect(recs).items() if p.kind == "deterministic"}
    # dbpedia: topk has run 2 of its 5 points, csr none of its 5 (so no record), the ae its one point
    progress = {("topk", "dbpedia"): (2, 5), ("csr", "dbpedia"): (0, 5), ("ae", "dbpedia"): (1, 1),
                ("topk", "yahoo"): (2, 2)}
    out = render_matched_across(panels, "active_dims", [4.0, 8.0], progress)
    lines = out.splitlines()
    assert cells(lines[0]) == ["method", "dbpedia: AUC", "@4", "@8", "yahoo: AUC", "@4", "@8"]
    row = {cells(line)[0]: cells(line)[1:] for line in lines[2:] if line.startswith("| ")}
    assert row["topk"][:3] == ["2 of 5 points", "–", "–"] and row["topk"][4] == "0.500 ± 0.010"
    assert row["csr"] == ["0 of 5 points", "–", "–", "–", "–", "–"]
    assert row["ae"][:3] == ["1 of 1 point", "–", "–"]
    assert "dbpedia: first seed in progress (3 of 11 sweep points run)" in out
    assert "ae on dbpedia" not in out  # its one point waits with its corpus
    # once every declared point has run, the same records read as frontiers again
    done = render_matched_across(panels, "active_dims", [4.0, 8.0], {("topk", "dbpedia"): (2, 2)})
    assert "in progress" not in done and "0.500 ± 0.010" in cells(next(
        line for line in done.splitlines() if line.startswith("| topk ")))[2]


# -- a sweep in progress ------------------------------------------------------------------------------

def _spec(method, corpus, seed, **overrides):
    from types import SimpleNamespace

    return SimpleNamespace(method=method, corpus=corpus, seed=seed, variant="",
                           overrides=tuple((f"{method}.{k}", str(v)) for k, v in overrides.items()))


def test_declared_points_count_settings_not_seeds_per_corpus_and_mode_kind():
    from bench.report.frontier import declared_points

    specs = [_spec("hsvae", c, s, psi=v) for c in ("yahoo", "dbpedia") for s in (0, 1, 2) for v in (0.01, 0.1)]
    specs += [_spec("sparsemax", "yahoo", 0, alpha=a) for a in (1.5, 2, 3)]
    kinds = {"hsvae": ("deterministic", "stochastic"), "sparsemax": ("deterministic",)}
    assert declared_points(specs, kinds.__getitem__) == {
        ("hsvae", "dbpedia", "deterministic"): 2, ("hsvae", "dbpedia", "stochastic"): 2,
        ("hsvae", "yahoo", "deterministic"): 2, ("hsvae", "yahoo", "stochastic"): 2,
        ("sparsemax", "yahoo", "deterministic"): 3}  # a method with no stochastic mode waits for no such frontier


def test_a_method_short_of_its_declared_points_is_marked_in_progress_in_the_table_and_the_figure():
    from bench.report.frontier import KINDS, render_markdown
    from bench.report.plots import frontier_figure

    recs = (sweep("hsvae", [({"psi": 0.01}, 0.8, 0.3, 20.0), ({"psi": 0.1}, 0.7, 0.5, 10.0)])
            + sweep("vae", [({"beta": b}, acc, 0.2, d) for b, acc, d in ((1.0, 0.6, 25.0), (0.1, 0.7, 28.0),
                                                                         (0.01, 0.75, 30.0))]))
    declared = {("hsvae", "yahoo", k): 3 for k in KINDS} | {("vae", "yahoo", k): 3 for k in KINDS} | {
        ("ton", "yahoo", "deterministic"): 5, ("hsvae", "dbpedia", "deterministic"): 3}
    panels = collect(recs)
    out = render_markdown(panels, "active_dims", declared=declared)
    det = out.split("### yahoo · text backbone · deterministic modes")[1].split("###")[0]
    assert ("**Sweep in progress**: hsvae 2 of 3 points, ton 0 of 5 points. Their frontiers and areas are "
            "provisional") in det  # dbpedia's declaration is not this panel's
    names = [cells(line)[0] for line in det.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert names == ["hsvae (2 of 3 points)", "vae"]
    sto = out.split("### yahoo · text backbone · stochastic modes")[1]
    assert "**Sweep in progress**: hsvae 2 of 3 points." in sto  # TON declared no stochastic frontier here
    assert "Sweep in progress" not in render_markdown(panels, "active_dims")  # without a declaration: as before
    from bench.report.frontier import frontier_frame

    frame = frontier_frame(panels, "active_dims", declared=declared)
    assert set(frame.loc[frame.method == "hsvae", "points_declared"]) == {3}  # the CSV says what a point is short of
    assert "points_declared" not in frontier_frame(panels, "active_dims").columns

    fig = frontier_figure(panels, "active_dims", declared)
    ax = next(a for a in fig.axes if a.get_title().startswith("yahoo · text backbone · deterministic modes"))
    assert ax.get_title().endswith("\nsweep in progress: 5 of 11 points run")
    styles = {c.get_label(): c.lines[0].get_linestyle() for c in ax.containers}  # errorbar: (data line, caps, bars)
    assert styles["hsvae (sweeps psi)"] == ":" and styles["vae (sweeps beta)"] == "-"
    assert any(t.get_text().startswith("dotted: sweep not yet complete") for t in fig.legends[0].get_texts())
    done = {k: v for k, v in declared.items() if k[0] == "vae"}
    assert "in progress" not in "".join(a.get_title() for a in frontier_figure(panels, "active_dims", done).axes)
