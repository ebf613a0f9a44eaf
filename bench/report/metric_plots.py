"""Figures of the use metrics (``tasks.scorers_use``), from the stored records alone; ``bench plot`` draws them.

- ``ksparse_<corpus>[-<backbone>].png``: the k-sparse probe surface, probe accuracy against k (the features the
  probe may read), one line per number of labelled examples per class, one panel per table row
  (method, its distinguishing settings, mode), mean ± std over seeds;
- ``accuracy_flops.png``: probe accuracy (top) and same-class precision@10 (bottom) against the average
  FLOPS of the index, one point per table row, one column of panels per corpus and backbone.  Filled markers: the
  code with its inactive entries zeroed (the index one would build, ``masked_*``); hollow markers joined
  to them: the code as it is (``retrieval_*``), where that differs (codes without exact zeros).

Rows, modes (``--modes``) and seeds are grouped as in the leaderboard (``bench.leaderboard``), so a
figure's row is a table's row.
"""
from __future__ import annotations

import copy
import math
import re
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from bench.report.leaderboard import aggregate, kept_apart, records_to_frame, select_modes
from bench.report.plots import _colours, _panels, _pyplot, _save, _shared_legend, _with_setting, axis_label

#: The scorer whose analysis holds the surface, and the metrics the accuracy-cost figure draws.
SURFACE_SCORER = "ksparse_probes"
ACCURACY = "probe_accuracy"
PRECISION = "masked_precision@10"
FLOPS = "masked_flops"
RAW_PRECISION = "retrieval_precision@10"
RAW_FLOPS = "retrieval_flops"
PLOTTED = (ACCURACY, PRECISION, FLOPS, RAW_PRECISION, RAW_FLOPS, "ksparse_accuracy")
_ROW = ["corpus", "backbone", "method", "kind", "mode"]


def metric_figures(records: Iterable[dict[str, Any]], out_dir: Path, modes: str = "all") -> tuple[list[Path], list[str]]:
    """(written files, why each other figure was skipped)."""
    records = [r for r in records if r.get("status") == "ok"]
    written, skipped = [], []
    paths, why = _surfaces(records, out_dir, modes)
    written += paths
    if why:
        skipped.append(why)
    path, why = _accuracy_flops(records, out_dir, modes)
    (written.append(path) if path else skipped.append(why))
    return written, skipped


def _surface_column(size: int | None, k: int) -> str:
    return f"ksparse@{'all' if size is None else size}:{k}"


def _with_surface(records: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[int | None], list[int]]:
    """Copies of the records whose modes carry their surface points as columns, and the sizes and ks found."""
    out, sizes, ks = [], set(), set()
    for rec in records:
        analysis = rec["metrics"].get("analysis") or {}
        copied = None
        for mode, scores in rec["metrics"]["modes"].items():
            surface = ((analysis.get(mode) or {}).get(SURFACE_SCORER) or {}).get("surface")
            if not surface:
                continue
            if copied is None:
                copied = copy.deepcopy({k: v for k, v in rec.items() if k != "metrics"})
                copied["metrics"] = {**rec["metrics"], "modes": {m: dict(s) for m, s in rec["metrics"]["modes"].items()}}
            for point in surface:
                copied["metrics"]["modes"][mode][_surface_column(point["per_class"], point["k"])] = point["accuracy_mean"]
                sizes.add(point["per_class"])
                ks.add(int(point["k"]))
        if copied is not None:
            out.append(copied)
    return out, sorted(sizes, key=lambda s: math.inf if s is None else s), sorted(ks)


def _surfaces(records: list[dict[str, Any]], out_dir: Path, modes: str) -> tuple[list[Path], str]:
    surfaced, sizes, ks = _with_surface(records)
    if not surfaced:
        return [], f"ksparse_<corpus>.png: no record has a k-sparse surface (scorer {SURFACE_SCORER})"
    frame = select_modes(records_to_frame(surfaced), modes)
    cols = [_surface_column(s, k) for s in sizes for k in ks]
    frame = frame[frame[cols].notna().any(axis=1)]
    table = aggregate(frame, [c for c in cols if c in frame.columns], kept_apart(frame, _ROW))
    plt = _pyplot()
    paths = []
    for title, sub in _panels(table):  # one figure per corpus and backbone: two backbones never share one
        n = len(sub)
        ncols = min(n, 4)
        nrows = -(-n // ncols)
        fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols, 3.0 * nrows), squeeze=False, sharey=True)
        for ax, (_, row) in zip(axes.ravel(), sub.iterrows()):
            for size in sizes:
                means = np.array([row.get(f"{_surface_column(size, k)}_mean", np.nan) for k in ks], dtype=float)
                stds = np.array([row.get(f"{_surface_column(size, k)}_std", np.nan) for k in ks], dtype=float)
                label = "all labels" if size is None else f"{size} per class"
                ax.errorbar(ks, means, yerr=np.nan_to_num(stds), marker="o", markersize=3, capsize=2, label=label)
            ref = ", reference" if row["reference"] else ""
            ax.set(xscale="log", title=f"{_with_setting(row['method'], row.get('config') or '')} ({row['mode']}{ref})",
                   xlabel="k (features the probe reads)")
            ax.set_xticks(ks, [str(k) for k in ks])
            ax.grid(alpha=0.3)
        for ax in axes[:, 0]:
            ax.set_ylabel("k-sparse probe acc ↑")
        for ax in axes.ravel()[n:]:
            ax.set_visible(False)
        _shared_legend(fig, axes.ravel()[:n])
        fig.suptitle(f"k-sparse probe surface on {title}")
        paths.append(_save(plt, fig, out_dir / f"ksparse_{re.sub(r'[^A-Za-z0-9.+-]+', '-', title).strip('-')}.png"))
    return paths, ""


def _accuracy_flops(records: list[dict[str, Any]], out_dir: Path, modes: str):
    name = "accuracy_flops.png"
    frame = records_to_frame(records)
    if frame.empty or FLOPS not in frame.columns:
        return None, f"{name}: no record has {FLOPS}"
    frame = select_modes(frame, modes)
    frame = frame[frame[FLOPS].notna()]
    metrics = [m for m in (ACCURACY, PRECISION, RAW_PRECISION, FLOPS, RAW_FLOPS) if m in frame.columns]
    table = aggregate(frame, metrics, kept_apart(frame, _ROW))
    plt = _pyplot()
    panels = _panels(table)  # a column of panels per corpus and backbone
    fig, axes = plt.subplots(2, len(panels), figsize=(5 * len(panels), 7), squeeze=False)
    colours = _colours(_with_setting(r["method"], r.get("config") or "") for _, r in table.iterrows())
    for col, (title, sub) in enumerate(panels):
        for _, row in sub.iterrows():
            label = _with_setting(row["method"], row.get("config") or "")
            for ax, y, raw_y in ((axes[0, col], ACCURACY, None), (axes[1, col], PRECISION, RAW_PRECISION)):
                if f"{y}_mean" not in row or not np.isfinite(row[f"{y}_mean"]):
                    continue
                ref = bool(row["reference"])
                marker = "*" if ref else ("o" if row["kind"] == "deterministic" else "x")
                x = row[f"{FLOPS}_mean"]
                ax.scatter([x], [row[f"{y}_mean"]], color=colours[label], marker=marker,
                           label=f"{label} ({row['mode']}{', reference' if ref else ''})")
                rx = row.get(f"{RAW_FLOPS}_mean", np.nan)
                ry = row.get(f"{raw_y or y}_mean", np.nan)
                if np.isfinite(rx) and np.isfinite(ry) and (rx, ry) != (x, row[f"{y}_mean"]):
                    ax.plot([rx, x], [ry, row[f"{y}_mean"]], color=colours[label], linewidth=0.8, alpha=0.6)
                    ax.scatter([rx], [ry], facecolors="none", edgecolors=colours[label], marker="o")
        axes[0, col].set(title=title, xscale="log", ylabel=axis_label(ACCURACY))
        axes[1, col].set(xscale="log", xlabel=f"{axis_label(FLOPS)} (hollow: the code as it is)",
                         ylabel=axis_label(PRECISION))
        for ax in axes[:, col]:
            ax.grid(alpha=0.3)
    _shared_legend(fig, axes.ravel())
    return _save(plt, fig, out_dir / name), ""
