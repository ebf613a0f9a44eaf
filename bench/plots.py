"""Paper figures from the stored records alone (matplotlib, Agg backend, PNG).

- ``tradeoff.png``: probe accuracy against Average Hoyer per method, one panel per corpus (the
  paper's trade-off; sweeps drawn as lines, seeds as error bars);
- ``class_kl.png``: mean KL between class activation distributions per method and corpus;
- ``probe_sizes.png``: probe accuracy against the number of labelled training examples;
- ``activation_<method>_<corpus>.png``: the class × dimension activation profile.
A figure whose metrics no record holds is skipped and reported, never drawn empty.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from bench.leaderboard import aggregate, headline, records_to_frame, select_modes


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_all(records: Iterable[dict[str, Any]], out_dir: Path, modes: str = "all") -> tuple[list[Path], list[str]]:
    records = [r for r in records if r.get("status") == "ok"]
    frame = records_to_frame(records)
    if not frame.empty:
        frame = select_modes(frame, modes)
    out_dir.mkdir(parents=True, exist_ok=True)
    written, skipped = [], []
    for fn in (_tradeoff, _class_kl, _probe_sizes):
        path, why = fn(frame, out_dir)
        (written.append(path) if path else skipped.append(why))
    paths, why = _activation_heatmaps(records, out_dir)
    written += paths
    if why:
        skipped.append(why)
    return written, skipped


def _tradeoff(frame, out_dir: Path):
    if frame.empty or not {"avg_hoyer", "probe_accuracy"} <= set(frame.columns):
        return None, "tradeoff.png: no record has avg_hoyer and probe_accuracy"
    plt = _pyplot()
    table = aggregate(frame, ["avg_hoyer", "probe_accuracy"])
    corpora = sorted(table["corpus"].unique())
    fig, axes = plt.subplots(1, len(corpora), figsize=(5 * len(corpora), 4), squeeze=False)
    for ax, corpus in zip(axes[0], corpora):
        sub = table[table["corpus"] == corpus]
        for (method, kind, mode), grp in sub.groupby(["method", "kind", "mode"]):
            grp = grp.sort_values("avg_hoyer_mean")
            ref = bool(grp["reference"].any())
            ax.errorbar(grp["avg_hoyer_mean"], grp["probe_accuracy_mean"], xerr=grp["avg_hoyer_std"].fillna(0),
                        yerr=grp["probe_accuracy_std"].fillna(0), capsize=3,
                        marker="*" if ref else ("o" if kind == "deterministic" else "x"),
                        linestyle=":" if ref else "-", label=f"{method} ({mode}{', reference' if ref else ''})")
        ax.set(title=corpus, xlabel="Average Hoyer (std-normalised)", ylabel="probe accuracy")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return _save(plt, fig, out_dir / "tradeoff.png"), ""


def _class_kl(frame, out_dir: Path):
    if frame.empty or "class_kl_mean" not in frame.columns:
        return None, "class_kl.png: no record has class_kl_mean"
    plt = _pyplot()
    table = aggregate(frame, ["class_kl_mean"], ["corpus", "method", "kind", "mode"])
    corpora = sorted(table["corpus"].unique())
    fig, axes = plt.subplots(1, len(corpora), figsize=(5 * len(corpora), 4), squeeze=False)
    for ax, corpus in zip(axes[0], corpora):
        sub = table[table["corpus"] == corpus]
        labels = [f"{m}\n({mo})" for m, mo in zip(sub["method"], sub["mode"])]
        ax.bar(labels, sub["class_kl_mean_mean"], yerr=sub["class_kl_mean_std"].fillna(0), capsize=3)
        ax.set(title=corpus, ylabel="mean KL between classes")
        ax.tick_params(axis="x", labelsize=8)
    return _save(plt, fig, out_dir / "class_kl.png"), ""


def _probe_sizes(frame, out_dir: Path):
    sizes = sorted({int(m.group(1)) for c in frame.columns if (m := re.fullmatch(r"probe_accuracy@(\d+)", str(c)))})
    if not sizes:
        return None, "probe_sizes.png: no record has a probe sweep (probe_accuracy@N)"
    plt = _pyplot()
    cols = [f"probe_accuracy@{n}" for n in sizes]
    table = aggregate(frame, cols, ["corpus", "method", "kind", "mode"])
    corpora = sorted(table["corpus"].unique())
    fig, axes = plt.subplots(1, len(corpora), figsize=(5 * len(corpora), 4), squeeze=False)
    for ax, corpus in zip(axes[0], corpora):
        for _, r in table[table["corpus"] == corpus].iterrows():
            ys = [r[f"{c}_mean"] for c in cols]
            ax.plot(sizes, ys, marker="o", label=f"{r['method']} ({r['mode']})")
        ax.set(xscale="log", title=corpus, xlabel="labelled examples per class", ylabel="probe accuracy")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return _save(plt, fig, out_dir / "probe_sizes.png"), ""


def _activation_heatmaps(records: list[dict[str, Any]], out_dir: Path) -> tuple[list[Path], str]:
    """One heatmap per method, corpus and headline mode (deterministic and stochastic), first seed."""
    plt = None
    seen, paths = set(), []
    for rec in sorted(records, key=lambda r: r["spec"]["seed"]):
        spec, metrics = rec["spec"], rec["metrics"]
        for kind in ("deterministic", "stochastic"):
            mode = headline(rec, kind)
            ca = metrics.get("analysis", {}).get(mode, {}).get("class_activation", {}) if mode else {}
            key = (spec["method"], spec["corpus"], mode)
            if not ca.get("profile") or key in seen:
                continue
            seen.add(key)
            plt = plt or _pyplot()
            arr = np.asarray(ca["profile"], dtype=float)
            fig, ax = plt.subplots(figsize=(max(6, arr.shape[1] / 6), max(3, arr.shape[0] / 2.5)))
            im = ax.imshow(arr, aspect="auto", cmap="viridis", interpolation="nearest", vmin=0, vmax=1)
            ax.set(title=f"{spec['method']} on {spec['corpus']} ({mode}, seed {spec['seed']})", xlabel="dimension",
                   ylabel="class")
            fig.colorbar(im, ax=ax, label=f"mean activity ({ca.get('rule') or 'see record'})")
            paths.append(_save(plt, fig, out_dir / f"activation_{spec['method']}_{spec['corpus']}_{mode}.png"))
    return paths, "" if paths else "activation_*.png: no record has an activation profile"


def _save(plt, fig, path: Path) -> Path:
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    tmp.replace(path)
    return path
