"""Paper figures from the stored records alone (matplotlib, Agg backend, PNG).

- ``tradeoff.png``: probe accuracy against a sparsity metric (``x``, Average Hoyer by default; the
  file is ``tradeoff_<x>.png`` for another, e.g. ``l0`` for the sparse-autoencoder track) per method
  and encode mode, one panel per corpus (the paper's trade-off; sweeps drawn as lines, seeds as error
  bars; markers: o deterministic, x stochastic, * the paper's reference numbers);
- ``class_kl.png``: mean KL between class activation distributions per method and corpus, with its shuffled-label null;
- ``probe_sizes.png``: probe accuracy against the number of labelled training examples;
- ``activation_<row>_<corpus>_<backbone>_<mode>[_<config>].png`` (``--heatmaps``): the class × dimension
  activation profile, one per table row (a named variant such as ``vae-beta0.01`` is its own row,
  beside the plain ``vae``; a sweep point's config hash when a row has several);
- ``curves.png``: training curves of runs with ``--set curve_every=N`` (probe accuracy, active
  dimensions, KL and test reconstruction of the deterministic headline mode against the optimiser
  step, mean ± std over seeds), one row of panels per corpus, with the corpus's reference rows as
  dashed lines on the accuracy panel: whether a code is still learning, collapsed, or never left
  what the untrained encoder gives.
Every figure has one panel per corpus and backbone (the text backbone and each frozen encoder): two
backbones never share a panel, a line or a bar group.  Which metric each figure draws is named here; its axis label and direction (an arrow: ↑ higher is
better, ↓ lower) come from the metric table (``tasks.metrics``), as the leaderboard's headers do, so a
plugin metric can be the trade-off's x-axis.  A figure whose metrics no record holds is skipped and
reported, never drawn empty.
"""
from __future__ import annotations

import math

from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from bench.errors import UserError
from bench.report.leaderboard import aggregate, config_labels, headline, kept_apart, records_to_frame, select_modes
from sparsebench.hints import did_you_mean
from tasks.metrics import all_metrics, metric_info

#: The metrics the figures draw (each must be declared in the metric table; a test checks it).
ACCURACY = "probe_accuracy"
CLASS_KL = "class_kl_mean"
CLASS_KL_NULL = "class_kl_null"
PROBE_SIZES = "probe_accuracy@{n}"
DEFAULT_X = "avg_hoyer"
PLOTTED = (ACCURACY, CLASS_KL, PROBE_SIZES, DEFAULT_X)


def axis_label(column: str) -> str:
    """The metric table's header for ``column`` with its direction (↑ higher is better, ↓ lower)."""
    info = metric_info(column)
    if info is None:
        return column
    arrow = {True: " ↑", False: " ↓", None: ""}[info.higher_is_better]
    return f"{info.header_for(column)}{arrow}"


def check_x_metric(x: str) -> str:
    """``x`` must be a single (not family) metric of the table; else a user error naming the choices."""
    names = [m.name for m in all_metrics() if "{" not in m.name and m.name != ACCURACY]
    if x not in names:
        raise UserError(f"unknown metric {x!r} for the trade-off's x-axis{did_you_mean(x, names)}; the metric "
                        f"table has: {', '.join(names)}")
    return x


def _row_label(spec: dict[str, Any]) -> str:
    """The name a leaderboard row shows: the variant's, else the method's."""
    return spec.get("variant") or spec["method"]


def _with_setting(name: str, setting: str) -> str:
    """A figure's label for a row: its name, and the settings that set it apart (``config``), if any."""
    return f"{name} [{setting}]" if setting else name


def _panels(table) -> list[tuple[str, Any]]:
    """(title, rows) per corpus and backbone, in order; the backbone is named only when the table has several."""
    several = "backbone" in table and table["backbone"].nunique() > 1
    keys = ["corpus", "backbone"] if "backbone" in table else ["corpus"]
    out = []
    for key, grp in table.groupby(keys, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        out.append((f"{key[0]} · {key[1]}" if several else str(key[0]), grp))
    return out


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_all(records: Iterable[dict[str, Any]], out_dir: Path, modes: str = "all",
             x: str | Sequence[str] = DEFAULT_X, heatmaps: bool = False) -> tuple[list[Path], list[str]]:
    """Every figure the records allow, in ``out_dir``, one trade-off figure per metric of ``x``; returns
    (written files, why each other was skipped).  The per-row activation heatmaps only with ``heatmaps``:
    one figure per table row and mode is many files (69 for the reference leaderboard), made on demand."""
    xs = [x] if isinstance(x, str) else list(x)
    for metric in xs:
        check_x_metric(metric)
    records = [r for r in records if r.get("status") == "ok"]
    frame = records_to_frame(records)
    if not frame.empty:
        frame = select_modes(frame, modes)
    out_dir.mkdir(parents=True, exist_ok=True)
    written, skipped = [], []
    for fn in (*(lambda f, o, m=m: _tradeoff(f, o, m) for m in xs), _class_kl, _probe_sizes):
        path, why = fn(frame, out_dir)
        (written.append(path) if path else skipped.append(why))
    path, why = _curves(records, out_dir)
    (written.append(path) if path else skipped.append(why))
    if heatmaps:
        paths, why = _activation_heatmaps(records, out_dir)
        written += paths
        if why:
            skipped.append(why)
    return written, skipped


def tradeoff_name(x: str) -> str:
    return "tradeoff.png" if x == DEFAULT_X else f"tradeoff_{x}.png"


def _tradeoff(frame, out_dir: Path, x: str = DEFAULT_X):
    name, y = tradeoff_name(x), ACCURACY
    if frame.empty or not {x, y} <= set(frame.columns):
        return None, f"{name}: no record has {x} and {y}"
    plt = _pyplot()
    frame = frame[frame[x].notna() & frame[y].notna()]
    table = aggregate(frame, [x, y])
    panels = _panels(table)
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
    colours = _colours(table["method"])
    for ax, (title, sub) in zip(axes[0], panels):
        for (method, kind, mode), grp in sub.groupby(["method", "kind", "mode"]):
            grp = grp.sort_values(f"{x}_mean")
            ref = bool(grp["reference"].any())
            ax.errorbar(grp[f"{x}_mean"], grp[f"{y}_mean"], xerr=grp[f"{x}_std"].fillna(0),
                        yerr=grp[f"{y}_std"].fillna(0), capsize=3, color=colours[method],
                        marker="*" if ref else ("o" if kind == "deterministic" else "x"),
                        linestyle=":" if ref else "-", label=f"{method} ({mode}{', reference' if ref else ''})")
        ax.set(title=title, xlabel=axis_label(x), ylabel=axis_label(y))
        ax.grid(alpha=0.3)
    _shared_legend(fig, axes[0])
    return _save(plt, fig, out_dir / name), ""


def _colours(methods: Iterable[str]) -> dict[str, Any]:
    """One colour per row, the same in every panel: with matplotlib's 10-colour cycle, 20 rows
    repeated colours within a panel (``ae`` and ``vae-beta0.01`` were both blue)."""
    import matplotlib

    cmap = matplotlib.colormaps["tab20"]
    return {m: cmap(i % cmap.N) for i, m in enumerate(sorted(set(methods)))}


def _shared_legend(fig, axes) -> None:
    """One legend for all panels, beside them: a legend inside a panel covered its points once a
    table had 20 rows.  A row is listed once, in the order it was first drawn."""
    entries: dict[str, Any] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            entries.setdefault(label, handle)
    if entries:
        fig.legend(list(entries.values()), list(entries), loc="center left", bbox_to_anchor=(1.0, 0.5),
                   fontsize=8, frameon=False)


def _class_kl(frame, out_dir: Path):
    if frame.empty or CLASS_KL not in frame.columns:
        return None, f"class_kl.png: no record has {CLASS_KL}"
    plt = _pyplot()
    frame = frame[frame[CLASS_KL].notna()]
    nulls = [CLASS_KL_NULL] if CLASS_KL_NULL in frame.columns else []
    table = aggregate(frame, [CLASS_KL, *nulls], kept_apart(frame, ["corpus", "backbone", "method", "kind", "mode"]))
    panels = _panels(table)
    most = max(len(sub) for _, sub in panels)
    # horizontal bars, one label a line: long labels (a method, its settings, its mode) never overlap, at any count
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 1.2 + 0.32 * most), squeeze=False)
    for ax, (title, sub) in zip(axes[0], panels):
        labels = [f"{_with_setting(r['method'], r.get('config') or '')} ({r['mode']})" for _, r in sub.iterrows()]
        ys = np.arange(len(labels))
        ax.barh(ys, sub[f"{CLASS_KL}_mean"], xerr=sub[f"{CLASS_KL}_std"].fillna(0), capsize=3)
        if nulls and sub[f"{CLASS_KL_NULL}_mean"].notna().any():  # the level class-blind activity reaches
            ax.scatter(sub[f"{CLASS_KL_NULL}_mean"], ys, marker="|", s=200, color="k", zorder=3,
                       label="shuffled-label null")
            ax.legend(fontsize=8)
        ax.set_yticks(ys, labels, fontsize=8)
        ax.invert_yaxis()
        ax.set(title=title, xlabel=axis_label(CLASS_KL))
    return _save(plt, fig, out_dir / "class_kl.png"), ""


def probe_size_columns(columns: Iterable[str]) -> list[tuple[int, str]]:
    """(n, column) for the columns of the probe-sweep family, by the table's family pattern, sorted by n."""
    family = next(m for m in all_metrics() if m.name == PROBE_SIZES)
    prefix = PROBE_SIZES.partition("{")[0]
    return sorted((int(str(c)[len(prefix):]), str(c)) for c in columns if family.matches(str(c)))


def _probe_sizes(frame, out_dir: Path):
    found = probe_size_columns(frame.columns)
    if not found:
        return None, f"probe_sizes.png: no record has a probe sweep ({PROBE_SIZES.replace('{n}', 'N')})"
    plt = _pyplot()
    sizes, cols = [n for n, _ in found], [c for _, c in found]
    table = aggregate(frame, cols, kept_apart(frame, ["corpus", "backbone", "method", "kind", "mode"]))
    panels = _panels(table)
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
    colours = _colours(_with_setting(r["method"], r.get("config") or "") for _, r in table.iterrows())
    for ax, (title, sub) in zip(axes[0], panels):
        for _, r in sub.iterrows():
            ys = [r[f"{c}_mean"] for c in cols]
            row = _with_setting(r["method"], r.get("config") or "")
            ax.plot(sizes, ys, marker="o" if r["kind"] == "deterministic" else "x", color=colours[row],
                    linestyle="-" if r["kind"] == "deterministic" else "--", label=f"{row} ({r['mode']})")
        ax.set(xscale="log", title=title, xlabel="labelled examples per class", ylabel=axis_label(ACCURACY))
        ax.grid(alpha=0.3)
    _shared_legend(fig, axes[0])
    return _save(plt, fig, out_dir / "probe_sizes.png"), ""


#: What a training-curve point holds (``bench.cells.method.curve_point``), in panel order.
CURVE_PANELS = (("probe_accuracy", "probe acc ↑"), ("active_dims", "active dims"), ("kl", "KL (nats)"),
                ("recon_per_unit", "test recon / token ↓"))


def _curves(records: list[dict[str, Any]], out_dir: Path):
    curved = [r for r in records if r["metrics"].get("curve") and not r.get("reference")]
    if not curved:
        return None, "curves.png: no record has a training curve (train with --set curve_every=N)"
    series: dict[tuple[str, str], dict[int, list[dict[str, Any]]]] = {}
    for rec, setting in zip(curved, config_labels(curved)):
        name = _with_setting(_row_label(rec["spec"]), setting)
        for point in rec["metrics"]["curve"]:
            series.setdefault((rec["spec"]["corpus"], f"{name} ({point['mode']})"), {}) \
                .setdefault(int(point["step"]), []).append(point)
    panels = [(k, label) for k, label in CURVE_PANELS
              if any(k in p for steps in series.values() for pts in steps.values() for p in pts)]
    corpora = sorted({corpus for corpus, _ in series})
    references = _reference_levels([r for r in records if r.get("reference")],
                                   {r["spec"]["preset"] for r in curved})
    plt = _pyplot()
    fig, axes = plt.subplots(len(corpora), len(panels), figsize=(4.5 * len(panels), 3.6 * len(corpora)),
                             squeeze=False)
    for row, corpus in zip(axes, corpora):
        for ax, (key, label) in zip(row, panels):
            for (c, name), steps in sorted(series.items()):
                if c != corpus:
                    continue
                xs = sorted(s for s, pts in steps.items() if any(key in p for p in pts))
                values = [[float(p[key]) for p in steps[s] if key in p] for s in xs]
                ax.errorbar(xs, [float(np.mean(v)) for v in values], yerr=[float(np.std(v)) for v in values],
                            marker="o", markersize=3, capsize=2, label=name)
            if key == ACCURACY:
                for ref, level in sorted(references.get(corpus, {}).items()):
                    ax.axhline(level, linestyle="--", linewidth=1, color="grey")
                    ax.annotate(f"{ref} (reference)", (0.99, level), xycoords=("axes fraction", "data"),
                                fontsize=7, color="grey", va="bottom", ha="right")
            ax.set(title=f"{corpus}: {label}", xlabel="optimiser step", ylabel=label)
            ax.grid(alpha=0.3)
        row[0].legend(fontsize=7)
    return _save(plt, fig, out_dir / "curves.png"), ""


def _reference_levels(refs: list[dict[str, Any]], presets: set[str]) -> dict[str, dict[str, float]]:
    """Per corpus, each reference's probe accuracy (mean over seeds), from references of the curves' presets."""
    levels: dict[str, dict[str, list[float]]] = {}
    for rec in refs:
        if rec["spec"]["preset"] not in presets:
            continue
        mode = rec["metrics"].get("default_mode")
        acc = rec["metrics"]["modes"].get(mode, {}).get(ACCURACY)
        if acc is not None:
            levels.setdefault(rec["spec"]["corpus"], {}).setdefault(rec["reference"]["name"], []).append(acc)
    return {c: {name: float(np.mean(v)) for name, v in refs_.items()} for c, refs_ in levels.items()}


def _activation_heatmaps(records: list[dict[str, Any]], out_dir: Path) -> tuple[list[Path], str]:
    """One heatmap per table row (a variant is its own row), corpus and headline mode (deterministic and
    stochastic), first seed."""
    import hashlib
    import json
    import re

    from bench.report.leaderboard import backbone_label

    plt = None
    seen, paths = set(), []
    configs: dict[tuple, set[str]] = {}  # (row, corpus, backbone) → its configurations: several need a tag
    for rec in records:
        cfg = json.dumps(rec.get("config", {}).get("method_config", {}), sort_keys=True)
        configs.setdefault((_row_label(rec["spec"]), rec["spec"]["corpus"], backbone_label(rec)), set()).add(cfg)
    for rec in sorted(records, key=lambda r: r["spec"]["seed"]):
        spec, metrics = rec["spec"], rec["metrics"]
        backbone = backbone_label(rec)
        cfg = json.dumps(rec.get("config", {}).get("method_config", {}), sort_keys=True)
        tag = hashlib.sha256(cfg.encode()).hexdigest()[:8] if len(configs[(_row_label(spec), spec["corpus"],
                                                                            backbone)]) > 1 else ""
        for kind in ("deterministic", "stochastic"):
            mode = headline(rec, kind)
            ca = metrics.get("analysis", {}).get(mode, {}).get("class_activation", {}) if mode else {}
            row = _row_label(spec)
            key = (row, spec["corpus"], backbone, tag, mode)
            if not ca.get("profile") or key in seen:
                continue
            seen.add(key)
            safe = re.sub(r"[^A-Za-z0-9.+-]+", "-", backbone.split("@")[0]).strip("-")
            name = "_".join(p for p in ("activation", row, spec["corpus"], safe, mode, tag) if p) + ".png"
            plt = plt or _pyplot()
            arr = np.asarray(ca["profile"], dtype=float)
            fig, ax = plt.subplots(figsize=(max(6, arr.shape[1] / 6), max(3, arr.shape[0] / 2.5)))
            im = ax.imshow(arr, aspect="auto", cmap="viridis", interpolation="nearest", vmin=0, vmax=1)
            ax.set(title=f"{row} on {spec['corpus']}, {backbone} backbone ({mode}, seed {spec['seed']})",
                   xlabel="dimension", ylabel="class")
            fig.colorbar(im, ax=ax, label=f"mean activity ({ca.get('rule') or 'see record'})")
            paths.append(_save(plt, fig, out_dir / name))
    return paths, "" if paths else "activation_*.png: no record has an activation profile"


def _save(plt, fig, path: Path) -> Path:
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=120, bbox_inches="tight")  # keeps a legend placed beside the panels
    plt.close(fig)
    tmp.replace(path)
    return path


# -- accuracy–sparsity frontiers (bench.report.frontier) ----------------------------------------------------

#: How reference rows are drawn on a frontier panel: grey horizontal lines, one dash pattern each.
_REFERENCE_STYLES = (("0.35", "--"), ("0.55", ":"), ("0.35", "-."), ("0.55", (0, (5, 2, 1, 2))), ("0.2", ":"))
#: Marker of each reference family drawn at its own sparsity (black, unfilled: never a method's filled dot).
_REFERENCE_MARKERS = ("s", "D", "^", "v", "P")
#: A reference is drawn as a mark when its sparsity lies within the methods' range widened by this share of it.
_ON_AXIS_MARGIN = 0.05


def _on_axis(value: float, lo: float, hi: float) -> bool:
    pad = _ON_AXIS_MARGIN * (hi - lo)
    return lo - pad <= value <= hi + pad


def frontier_figure(panels, x: str, declared=None):
    """The frontier figure: one panel per corpus × backbone (columns) and mode kind (rows); each method's
    frontier as a line through its seed means (error bars: std over seeds), its dominated sweep points as
    faint hollow marks.  A reference is a point too: drawn as a black hollow mark at its own sparsity
    (one marker per family, e.g. the embedding's PCA, each member annotated with what sets it apart, e.g.
    its size) when that lies within the methods' range, else as a grey horizontal line at its accuracy, whose
    legend entry says it is off the axis (the full embedding's hundreds of active dims).  Sparser is always
    to the right (the active-dims axis is reversed); the legend names what each method's sweep varied.
    ``declared`` (:func:`bench.report.frontier.declared_points`): a method that has not run every point it
    declares on a corpus is drawn dotted there, and the panel's title counts the points run."""
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    from bench.report.frontier import (ACCURACY as Y, READINGS, check_reading, in_progress, points_run,
                                       protocol_differences)

    check_reading(x)
    plt = _pyplot()
    groups = list(dict.fromkeys(p.group for p in panels))
    kinds = [k for k in ("deterministic", "stochastic") if any(p.kind == k for p in panels)]
    fig, axes = plt.subplots(len(kinds), len(groups), figsize=(5.2 * len(groups), 4.0 * len(kinds)),
                             squeeze=False)
    protocols = protocol_differences(panels)
    methods = sorted({s.method for ss in panels.values() for s in ss if not s.reference})
    colours = _distinct_colours(methods)
    labels = _sweep_labels([s for ss in panels.values() for s in ss if not s.reference])
    families = sorted({s.family for ss in panels.values() for s in ss if s.reference})
    marker = {name: _REFERENCE_MARKERS[i % len(_REFERENCE_MARKERS)] for i, name in enumerate(families)}
    off_axis: dict[str, tuple[str, Any]] = {}  # a reference's line style, the same in every panel
    any_dominated = any_provisional = False
    for panel, series in panels.items():
        ax = axes[kinds.index(panel.kind)][groups.index(panel.group)]
        missing = in_progress(panel, series, declared)
        xs = [p.mean(x) for s in series if not s.reference for p in s.frontier(x).points if math.isfinite(p.mean(x))]
        lo, hi = (min(xs), max(xs)) if xs else (math.nan, math.nan)
        for s in series:
            f = s.frontier(x)
            if not f.points:
                continue
            if s.reference:
                p, family = f.points[0], s.family
                if xs and _on_axis(p.mean(x), lo, hi):
                    ax.scatter([p.mean(x)], [p.mean(Y)], marker=marker[family], s=34, facecolors="none",
                               edgecolors="black", linewidths=1.1, zorder=4, label=f"{family} (reference)")
                    if family != s.method:  # a member of a family: say which (its size)
                        ax.annotate(p.label.split("=")[-1], (p.mean(x), p.mean(Y)),
                                    textcoords="offset points", xytext=(0, -11), ha="center", fontsize=7)
                else:
                    grey, dash = off_axis.setdefault(s.name, _REFERENCE_STYLES[len(off_axis) % len(_REFERENCE_STYLES)])
                    ax.axhline(p.mean(Y), color=grey, linestyle=dash, linewidth=1.2,
                               label=f"{s.name}: off the axis, its accuracy as a line")
                continue
            ax.errorbar([p.mean(x) for p in f.front], [p.mean(Y) for p in f.front],
                        xerr=[_zero_nan(p.std(x)) for p in f.front], yerr=[_zero_nan(p.std(Y)) for p in f.front],
                        color=colours[s.method], marker="o", markersize=4, capsize=2, linewidth=1.5,
                        linestyle=":" if s.method in missing else "-", label=labels[s.method])
            any_provisional |= s.method in missing
            if f.dominated:
                any_dominated = True
                ax.scatter([p.mean(x) for p in f.dominated], [p.mean(Y) for p in f.dominated], s=28,
                           facecolors="none", edgecolors=[colours[s.method]], alpha=0.35, linewidths=1)
        progress = "\nsweep in progress: {} of {} points run".format(*points_run(panel, series, declared)) \
            if missing else ""
        ax.set_title(panel.title(protocols) + progress, fontsize=9)
        ax.set(xlabel=f"{axis_label(x)} (sparser →)", ylabel=axis_label(panel.accuracy_of(x)))
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
        if READINGS[x] < 0 and not ax.xaxis_inverted():
            ax.invert_xaxis()
        ax.grid(alpha=0.3)
    for ax in axes.flat:
        if not ax.has_data():
            ax.set_axis_off()
    if any_dominated:
        axes.flat[0].add_line(Line2D([], [], color="grey", marker="o", markerfacecolor="none", alpha=0.35,
                                     linestyle="none", label="dominated sweep point (faint)"))
    if any_provisional:
        axes.flat[0].add_line(Line2D([], [], color="grey", linestyle=":", label="dotted: sweep not yet complete "
                                     "on that corpus (a provisional frontier)"))
    _shared_legend(fig, axes.flat)
    return fig


def _sweep_labels(series) -> dict[str, str]:
    """One legend entry per method, the same in every panel: what its sweep varied (over all panels),
    or that it has one point, hence no frontier."""
    varies: dict[str, set[str]] = {}
    for s in series:
        varies.setdefault(s.method, set()).update(s.varies)
    return {m: f"{m} (sweeps {', '.join(sorted(v))})" if v else f"{m} (1 point: no frontier)"
            for m, v in varies.items()}


def _distinct_colours(names: Sequence[str]) -> dict[str, Any]:
    """tab10 for up to ten lines (tab20 pairs a dark and a light shade of one hue: two methods of a
    frontier figure read as one), tab20 beyond."""
    import matplotlib

    if len(names) > 10:
        return _colours(names)
    cmap = matplotlib.colormaps["tab10"]
    return {m: cmap(i) for i, m in enumerate(names)}


def _zero_nan(v: float) -> float:
    return 0.0 if v != v else v


def plot_frontiers(panels, x: str, path: Path, declared=None) -> Path:
    """:func:`frontier_figure`, written as a PNG to ``path``."""
    fig = frontier_figure(panels, x, declared)
    path.parent.mkdir(parents=True, exist_ok=True)
    return _save(_pyplot(), fig, path)
