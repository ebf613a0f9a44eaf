"""Leaderboard tables from stored records alone: mean ± std over seeds, one row per configuration and mode.

Cells that differ only in their seed are grouped; everything else that differs (preset, overrides,
training split) stays visible in the row, so two different protocols are never averaged together.
"""
from __future__ import annotations

import math
from typing import Any, Iterable, Sequence

import pandas as pd
from tabulate import tabulate

from bench.errors import UserError

#: Metric columns shown by default, with their header; any stored metric name can be asked for.
DEFAULT_METRICS = ("probe_accuracy", "avg_hoyer", "nll_per_token")
HEADERS = {"probe_accuracy": "probe acc", "probe_macro_f1": "probe F1", "avg_hoyer": "avg Hoyer",
           "avg_hoyer_raw": "avg Hoyer (raw)", "nll_per_token": "NLL/token", "perplexity": "PPL",
           "nll_per_sentence": "NLL/sent"}
KEY_COLUMNS = ["method", "corpus", "mode", "preset", "train_split", "overrides"]


def records_to_frame(records: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """One row per (record, encode mode) with every scalar metric as a column."""
    rows = []
    for rec in records:
        if rec.get("status") != "ok":
            continue
        spec, metrics = rec["spec"], rec["metrics"]
        recon = {k: v for k, v in metrics.get("reconstruction", {}).items() if not isinstance(v, dict)}
        terms = {f"loss.{k}": v for k, v in metrics.get("reconstruction", {}).get("terms", {}).items()}
        for mode, scores in metrics["modes"].items():
            rows.append({
                "method": spec["method"], "corpus": spec["corpus"], "mode": mode, "preset": spec["preset"],
                "train_split": spec.get("train_split", "train"),
                "overrides": " ".join(f"{k}={v}" for k, v in spec.get("overrides", [])),
                "seed": spec["seed"], "default_mode": mode == metrics.get("default_mode"),
                **{k: v for k, v in scores.items() if isinstance(v, (int, float))}, **recon, **terms,
            })
    return pd.DataFrame(rows)


def aggregate(frame: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    missing = [m for m in metrics if m not in frame.columns]
    if missing:
        known = sorted(c for c in frame.columns if c not in KEY_COLUMNS + ["seed", "default_mode"])
        raise UserError(f"unknown metric {missing[0]!r}; stored metrics: {', '.join(known)}")
    grouped = frame.groupby(KEY_COLUMNS, sort=True, dropna=False)
    out = grouped[list(metrics)].agg(["mean", "std"])
    out[("seeds", "")] = grouped["seed"].nunique()
    return out.reset_index()


def fmt(mean: float, std: float, digits: int = 3) -> str:
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "n/a"
    if std is None or (isinstance(std, float) and math.isnan(std)):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def render(records: Iterable[dict[str, Any]], metrics: Sequence[str] = DEFAULT_METRICS,
           tablefmt: str = "github", modes: str = "all") -> str:
    frame = records_to_frame(records)
    if frame.empty:
        return ""
    if modes == "default":
        frame = frame[frame["default_mode"]]
    table = aggregate(frame, metrics)
    shown = [c for c in KEY_COLUMNS if c not in ("train_split", "overrides")
             or (table[c] != ("train" if c == "train_split" else "")).any()]
    rows = []
    for _, r in table.iterrows():
        row = [r[(c, "")] if isinstance(table.columns, pd.MultiIndex) else r[c] for c in shown]
        row += [fmt(r[(m, "mean")], r[(m, "std")]) for m in metrics]
        row.append(int(r[("seeds", "")]))
        rows.append(row)
    headers = [c.replace("_", " ") for c in shown] + [HEADERS.get(m, m) for m in metrics] + ["seeds"]
    return tabulate(rows, headers=headers, tablefmt=tablefmt, disable_numparse=True)
