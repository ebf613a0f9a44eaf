"""Leaderboard tables from stored records alone: mean ± std over seeds, the best value per column in bold.

Cells that differ only in their seed are grouped; everything else that differs (preset, overrides,
scoring settings, training split) stays visible in the row, so two protocols are never averaged
together unless ``--group-by`` asks for it.  Every row names its encode mode and the mode's kind:
like is compared with like, deterministic codes against deterministic ones (HSVAE's sparse mean
against the others' means) and stochastic draws against stochastic draws, and the best value is
bold within a corpus and a kind.  A metric's direction, header and format come from the metric
table (``tasks.metrics``), never from its name.  ``compare_at_hoyer`` reads each method's probe
accuracy at a matched Average Hoyer, interpolated along its sweep: sparsifiers at equal sparsity.
"""
from __future__ import annotations

import html
import math
import re
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd
from tabulate import tabulate

from bench.errors import UserError
from tasks.metrics import direction, metric_info

#: NLL/token on the text track; FVU, which every method of the embedding track shares, on that one.
DEFAULT_METRICS = ("probe_accuracy", "avg_hoyer", "nll_per_token", "fvu")
KEY_COLUMNS = ["method", "corpus", "backbone", "kind", "mode", "preset", "train_split", "config"]
#: Rows are ranked (bold) only against rows of the same corpus, backbone (and encoder), kind and protocol.
COMPARABLE = ("corpus", "backbone", "kind", "preset", "train_split")
FORMATS = ("md", "latex", "csv", "html", "plain")
MODE_VIEWS = ("matched", "all", "default")

__all__ = ["DEFAULT_METRICS", "KEY_COLUMNS", "FORMATS", "MODE_VIEWS", "direction", "render", "aggregate",
           "records_to_frame", "compare_at_hoyer", "config_labels"]


def header(metric: str) -> str:
    info = metric_info(metric)
    return info.header_for(metric) if info else metric


def _flat_config(rec: dict[str, Any]) -> dict[str, Any]:
    """The settings a row's config label is read from; the backbone and its encoder are a column of their own."""
    cfg = rec.get("config", {})
    flat = {**cfg.get("method_config", {}), **cfg.get("train", {}), **cfg.get("eval", {})}
    flat.pop("backbone", None)
    return flat


def backbone_label(rec: dict[str, Any]) -> str:
    """``text`` (the GRU autoencoder) or ``embedding:<encoder>@<sha256 prefix>`` (a frozen sentence encoder):
    part of a row's identity, so that two backbones are never one row, one ranking or one line."""
    cfg = rec.get("config", {})
    backbone = cfg.get("method_config", {}).get("backbone", "text")
    if backbone == "embedding" or cfg.get("encoder"):
        return f"embedding:{_encoder_label(rec)}"
    return str(backbone)


def _encoder_label(rec: dict[str, Any]) -> str:
    """The encoder as named, with its weights' sha256 prefix: a cell's config holds its identity; a
    reference's config only its name, and its provenance the identity it embedded with."""
    enc = rec.get("config", {}).get("encoder")
    name = rec.get("spec", {}).get("encoder") or (enc if isinstance(enc, str) else "?")
    if not isinstance(enc, dict):
        enc = ((rec.get("provenance") or {}).get("encoder") or {}).get("encoder")
    sha = str(enc.get("sha256", "")) if isinstance(enc, dict) else ""
    return f"{name}@{sha[:8]}" if sha else str(name)


def _by_recon_kind(rec: dict[str, Any], shared: dict[str, float]) -> dict[str, float]:
    """The reconstruction term under a column of its kind: ``nll_per_sentence`` and ``loss.recon`` hold
    the token cross-entropy (text track); a Gaussian NLL or a squared error of the embedding goes to
    ``recon_<kind>_per_sentence`` / ``loss.recon_<kind>``, so one column never mixes kinds."""
    kind = rec["metrics"].get("reconstruction", {}).get("recon_kind")
    if kind is None:  # records from before recon_kind: the text backbone's is token CE, the rest unknown
        backbone = rec.get("config", {}).get("method_config", {}).get("backbone", "text")
        kind = "token_ce" if backbone == "text" else "unknown"
    if kind == "token_ce":
        return shared
    renamed = {"nll_per_sentence": f"recon_{kind}_per_sentence", "loss.recon": f"loss.recon_{kind}"}
    return {renamed.get(k, k): v for k, v in shared.items()}


def mode_kind(rec: dict[str, Any], mode: str) -> str:
    """"stochastic" or "deterministic", as the method declared it (records before that: by the mode's name)."""
    kinds = rec["metrics"].get("modes_kind")
    if kinds and mode in kinds:
        return kinds[mode]
    return "stochastic" if mode == "sample" else "deterministic"


def headline(rec: dict[str, Any], kind: str) -> str | None:
    """The mode that stands for the record's method among modes of ``kind``."""
    heads = rec["metrics"].get("headline_modes")
    if heads is not None:
        return heads.get(kind)
    modes = [m for m in rec["metrics"]["modes"] if mode_kind(rec, m) == kind]
    default = rec["metrics"].get("default_mode")
    return default if default in modes else (modes[0] if modes else None)


def config_labels(records: list[dict[str, Any]]) -> list[str]:
    """Per record, the settings that vary among records of its method and preset (``k=v ...``).

    Read from the resolved configs, not from how the user spelled ``--set``, so the same model is
    one row however it was asked for, and two different models never share a row.
    """
    def key(rec: dict[str, Any]) -> tuple[str, str]:
        return rec["spec"].get("variant") or rec["spec"]["method"], rec["spec"]["preset"]

    groups: dict[tuple, list[dict[str, Any]]] = {}
    for rec in records:
        groups.setdefault(key(rec), []).append(_flat_config(rec))
    varying = {k: sorted({name for name in set().union(*cfgs) if len({repr(c.get(name)) for c in cfgs}) > 1})
               for k, cfgs in groups.items()}
    return [" ".join(f"{name}={_flat_config(rec).get(name)}" for name in varying[key(rec)]) for rec in records]


def _numbers(d: dict[str, Any]) -> dict[str, float]:
    return {k: v for k, v in d.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def records_to_frame(records: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """One row per (successful record, encode mode) with every scalar metric as a column.

    ``headline`` marks the mode that stands for its method among modes of its kind (the matched view).
    """
    rows = []
    ok = [rec for rec in records if rec.get("status") == "ok"]
    for rec, label in zip(ok, config_labels(ok)):
        spec, metrics = rec["spec"], rec["metrics"]
        recon = metrics.get("reconstruction", {})
        shared = _numbers(recon)
        shared.update({f"loss.{k}": v for k, v in recon.get("terms", {}).items()})  # records before the table
        shared = _by_recon_kind(rec, shared)
        for mode, scores in metrics["modes"].items():
            kind = mode_kind(rec, mode)
            rows.append({
                "method": spec.get("variant") or spec["method"], "corpus": spec["corpus"], "backbone": backbone_label(rec),
                "kind": kind, "mode": mode,
                "preset": spec["preset"], "train_split": spec.get("train_split", "train"),
                "config": label, "reference": bool(rec.get("reference")),
                "seed": spec["seed"], "default_mode": mode == metrics.get("default_mode"),
                "headline": mode == headline(rec, kind),
                **_numbers(scores),
                **shared,
            })
    return pd.DataFrame(rows)


def _bootstrap_ci(values: np.ndarray) -> tuple[float, float]:
    values = values[~np.isnan(values)]
    if len(values) < 2 or np.all(values == values[0]):
        return (float("nan"), float("nan")) if len(values) < 2 else (float(values[0]), float(values[0]))
    from scipy.stats import bootstrap

    res = bootstrap((values,), np.mean, confidence_level=0.95, n_resamples=2000, method="percentile",
                    random_state=0)
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def aggregate(frame: pd.DataFrame, metrics: Sequence[str], group_by: Sequence[str] = KEY_COLUMNS,
              ci: bool = False) -> pd.DataFrame:
    """Flat table: group columns, then ``<metric>_mean``, ``_std`` (, ``_ci_low``, ``_ci_high``), ``seeds``."""
    known = sorted(c for c in frame.columns if c not in KEY_COLUMNS + ["seed", "default_mode", "headline", "reference"])
    for m in metrics:
        if m not in frame.columns:
            raise UserError(f"unknown metric {m!r}; stored metrics: {', '.join(known)}")
    for g in group_by:
        if g not in KEY_COLUMNS:
            raise UserError(f"cannot group by {g!r}; choose from: {', '.join(KEY_COLUMNS)}")
    rows = []
    for keys, grp in frame.groupby(list(group_by), sort=True, dropna=False):
        keys = keys if isinstance(keys, tuple) else (keys,)
        row: dict[str, Any] = dict(zip(group_by, keys))
        for m in metrics:
            vals = pd.to_numeric(grp[m], errors="coerce").to_numpy(dtype=float)
            row[f"{m}_mean"] = float(np.nanmean(vals)) if np.isfinite(vals).any() else float("nan")
            row[f"{m}_std"] = _std(vals)
            if ci:
                row[f"{m}_ci_low"], row[f"{m}_ci_high"] = _bootstrap_ci(vals)
        row["seeds"] = int(grp["seed"].nunique())
        row["reference"] = bool(grp["reference"].any()) if "reference" in grp else False
        rows.append(row)
    table = pd.DataFrame(rows)
    return table.sort_values(list(group_by), key=lambda col: col.map(natural_key), kind="stable",
                             ignore_index=True) if rows else table


def natural_key(value: Any) -> tuple:
    """A sort key that reads the numbers in a label as numbers: ``k=4`` before ``k=16``, ``beta=0.001``
    before ``beta=0.01`` (text order put ``k=16, k=32, k=4, k=64``).  Missing values sort first."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ()
    parts = re.split(r"(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)", str(value))
    return tuple((0, float(p), "") if i % 2 else (1, 0.0, p) for i, p in enumerate(parts) if p)


def _std(vals: np.ndarray) -> float:
    """Sample std over seeds (NaN for one seed); exactly 0 when the seeds agree to rounding, so identical
    values never print as ``± 6.80e-17`` (numpy's two-pass std of equal floats can leave such residue)."""
    finite = vals[np.isfinite(vals)]
    if len(finite) < 2:
        return float("nan")
    if np.ptp(finite) <= 1e-12 * max(1.0, float(np.max(np.abs(finite)))):
        return 0.0
    return float(np.std(finite, ddof=1))


def _best_rows(table: pd.DataFrame, metric: str, within: Sequence[str], digits: int = 3) -> set[int]:
    """Rows whose mean prints as the best one does (at the table's digits), among comparable rows only.

    A tie is what a reader sees as equal, so class KLs of 1e-4 that print apart are not all bold, and
    0.2501 ties 0.2504.  Comparable: the same ``within`` columns (corpus, backbone, kind and protocol),
    and as many seeds as the best-replicated rows of the group, so a one-seed diagnostic never takes
    the bold from rows averaged over three seeds.  References are read against, never ranked."""
    sign = direction(metric)
    if sign == 0 or len(table) < 2:
        return set()
    col = f"{metric}_mean"
    best: set[int] = set()
    groups = table.groupby(list(within), dropna=False) if within else [(None, table)]
    for _, grp in groups:
        if "reference" in grp:
            grp = grp[~grp["reference"].astype(bool)]
        if "seeds" in grp and len(grp):
            grp = grp[grp["seeds"] == grp["seeds"].max()]
        vals = grp[col]
        if len(grp) < 2 or vals.isna().all():
            continue
        shown = vals.map(lambda x: format_number(x, digits) if pd.notna(x) else "")
        target = format_number(vals.max() if sign > 0 else vals.min(), digits)
        best |= set(grp.index[shown == target])
    return best


def _digits(metric: str, default: int) -> int:
    """Decimals of a metric's declared format (``.0f`` for counts), else ``default``."""
    info = metric_info(metric)
    fmt = info.fmt if info else ""
    return int(fmt[1:-1]) if fmt.startswith(".") and fmt.endswith("f") and fmt[1:-1].isdigit() else default


def format_number(x: float, digits: int) -> str:
    """Fixed point, or scientific when fixed point would print a non-zero value as 0 (e.g. class KL 1e-5)."""
    return f"{x:.2e}" if x != 0 and abs(x) < 0.5 * 10**-digits else f"{x:.{digits}f}"


def format_spread(mean: float, std: float, digits: int) -> str:
    """A std beside its mean: at the mean's decimals, and ``<0.001`` (at ``digits``) where a non-zero spread
    would print as zero, rather than ``2.18e-04`` beside ``0.969`` (the exact value is in the CSV and the
    records).  Beside a mean shown in scientific notation (a class KL of 1e-5) the std is scientific too."""
    if std != 0 and abs(std) < 0.5 * 10**-digits and not (mean != 0 and abs(mean) < 0.5 * 10**-digits):
        return f"<{10**-digits:.{digits}f}"
    return format_number(std, digits)


def _fmt(mean: float, std: float, digits: int, pm: str) -> str:
    if mean is None or math.isnan(mean):
        return "n/a"
    if std is None or math.isnan(std):
        return format_number(mean, digits)
    return f"{format_number(mean, digits)}{pm}{format_spread(mean, std, digits)}"


def select_modes(frame: pd.DataFrame, modes: str) -> pd.DataFrame:
    """``matched``: each method's headline mode of each kind; ``default``: its default mode; ``all``: every mode."""
    if modes not in MODE_VIEWS:
        raise UserError(f"unknown modes view {modes!r}; choose from: {', '.join(MODE_VIEWS)}")
    if modes == "default":
        return frame[frame["default_mode"]]
    if modes == "matched":
        return frame[frame["headline"]]
    return frame


def render(records: Iterable[dict[str, Any]], metrics: Sequence[str] = DEFAULT_METRICS, fmt: str = "md",
           modes: str = "matched", group_by: Sequence[str] | None = None, ci: bool = False, digits: int = 3,
           notes: bool = False) -> str:
    """The leaderboard table; ``notes`` adds, below a Markdown or plain table, what a "(reference)" row is,
    which corpora have no reference rows yet and the smoke preset's caveat (:func:`table_notes`).

    Rows of different backbones are never ranked together: Markdown, plain and HTML tables give each
    backbone a section of its own (its heading names the backbone and the encoder); CSV and LaTeX keep
    one table with a ``backbone`` column, bold within each backbone.
    """
    frame = records_to_frame(records)
    if frame.empty:
        return ""
    frame = select_modes(frame, modes)
    metrics = [m for m in metrics if m in frame.columns] or list(metrics)  # e.g. NLL/token: text backbone only
    group_by = kept_apart(frame, list(group_by or KEY_COLUMNS))
    if "backbone" not in group_by:
        group_by = group_by[:1] + ["backbone"] + group_by[1:]  # never averaged across backbones
    backbones = sorted(frame["backbone"].unique())
    if fmt in ("md", "plain", "html") and len(backbones) > 1:
        parts = []
        for backbone in backbones:
            heading = f"backbone {backbone}: {_backbone_words(backbone)}"
            body = _table(frame[frame["backbone"] == backbone], metrics, fmt, group_by, ci, digits)
            parts.append((f"<h3>{html.escape(heading)}</h3>\n" if fmt == "html" else f"### {heading}\n\n") + body)
        out = "\n\n".join(parts)
    else:
        out = _table(frame, metrics, fmt, group_by, ci, digits)
    lines = table_notes(frame) if notes and fmt in ("md", "plain", "html") else []
    if fmt == "html":
        return out + "".join(f'\n<p class="note">{html.escape(n)}</p>' for n in lines)
    return out + "".join("\n\n" + n for n in lines)


def _backbone_words(backbone: str) -> str:
    if backbone == "text":
        return "the GRU text autoencoder, trained from scratch"
    if backbone.startswith("embedding:"):
        return f"a latent model on the frozen sentence encoder {backbone.split(':', 1)[1]}"
    return backbone


def _table(frame: pd.DataFrame, metrics: Sequence[str], fmt: str, group_by: list[str], ci: bool,
           digits: int) -> str:
    table = aggregate(frame, metrics, group_by, ci)
    if fmt == "csv":
        return table.to_csv(index=False, float_format="%.6g")
    # columns that never vary (no override anywhere, all trained on train, one backbone) are noise in the table
    shown = [c for c in group_by if not (c in ("train_split", "config") and
                                         (table[c] == ("train" if c == "train_split" else "")).all())
             and not (c == "backbone" and table[c].nunique() == 1 and fmt != "latex")]
    within = [c for c in COMPARABLE if c in group_by]
    bold = {m: _best_rows(table, m, within, _digits(m, digits)) for m in metrics}
    table = table.sort_values("reference", kind="stable")  # reference rows after the methods, same order otherwise
    pm = {"latex": r" $\pm$ ", "html": " ± "}.get(fmt, " ± ")
    wrap = {"md": "**{}**", "plain": "{}", "html": "<b>{}</b>", "latex": r"\textbf{{{}}}"}[fmt]
    text = _latex_escape if fmt == "latex" else html.escape if fmt == "html" else str
    rows = []
    for i, r in table.iterrows():
        row = [text(str(r[c]) + (" (reference)" if c == "method" and r.get("reference") else "")) for c in shown]
        for m in metrics:
            cell = _fmt(r[f"{m}_mean"], r[f"{m}_std"], _digits(m, digits), pm)
            if ci and not math.isnan(r[f"{m}_ci_low"]):
                cell += f" [{r[f'{m}_ci_low']:.{digits}f}, {r[f'{m}_ci_high']:.{digits}f}]"
            row.append(wrap.format(cell) if i in bold[m] else cell)
        row.append(str(r["seeds"]))
        rows.append(row)
    headers = [c.replace("_", " ") for c in shown] + [header(m) for m in metrics] + ["seeds"]
    if fmt == "latex":
        headers = [_latex_escape(h) for h in headers]
        return _latex_table(headers, rows)
    tablefmt = {"md": "github", "plain": "simple", "html": "unsafehtml"}[fmt]
    return tabulate(rows, headers=headers, tablefmt=tablefmt, disable_numparse=True)


#: What a row must never average over, whatever ``--group-by`` says: another protocol is another row.
PROTOCOL_COLUMNS = ("preset", "train_split", "config")


def kept_apart(frame: pd.DataFrame, group_by: list[str]) -> list[str]:
    """``group_by`` plus each protocol column that varies within one of its groups (a table grouped by
    method alone must not average a run with ``kl_warmup=0.5`` into the plain one)."""
    extra = []
    for col in PROTOCOL_COLUMNS:
        if col in group_by or col not in frame:
            continue
        if (frame.groupby(group_by + extra, dropna=False)[col].nunique(dropna=False) > 1).any():
            extra.append(col)
    return group_by + extra


#: Presets whose numbers check the machinery only (tiny models, a few epochs).
CHECK_PRESETS = ("smoke",)


def table_notes(frame: pd.DataFrame) -> list[str]:
    """The footnotes of a table: the smoke preset's caveat, what a "(reference)" row is, which corpora
    have none yet, and that fewer-seed rows are never bold."""
    notes = []
    if "backbone" in frame and frame["backbone"].nunique() == 1:
        only = frame["backbone"].iloc[0]
        notes.append(f"backbone {only}: {_backbone_words(only)}.")
    smoke = sorted(set(frame["preset"]) & set(CHECK_PRESETS)) if "preset" in frame else []
    if smoke:
        notes.append(f"preset {', '.join(smoke)}: a tiny model trained for seconds, to check that everything runs; "
                     "its numbers say nothing about the methods (use --preset cpu, reference or paper).")
    return notes + reference_notes(frame)


def reference_notes(frame: pd.DataFrame) -> list[str]:
    """The footnote that says what a "(reference)" row is, and which corpora have none yet."""
    refs = frame[frame["reference"].astype(bool)] if "reference" in frame else frame.iloc[:0]
    notes = []
    if not refs.empty:
        notes.append("(reference): a non-learned reference (tfidf, tfidf-svd, untrained; embedding, embedding-pca) "
                     "scored with the methods' probe, split and seeds; read the methods against it, it is never "
                     "ranked or bold.")
    missing = sorted(set(frame["corpus"]) - set(refs["corpus"]))
    if missing:
        notes.append(f"no reference rows for {', '.join(missing)}: rerun its `bench run` command with "
                     "--resume cache-only (trains nothing) to add them.")
    return notes


def _latex_escape(s: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("$", r"\$"), ("#", r"\#"),
                 ("_", r"\_"), ("{", r"\{"), ("}", r"\}")):
        s = s.replace(a, b)
    return s


def _latex_table(headers: list[str], rows: list[list[str]]) -> str:
    """A booktabs table through pandas' Styler (jinja2), cells already escaped and formatted."""
    df = pd.DataFrame(rows, columns=headers)
    return df.style.hide(axis="index").to_latex(hrules=True, column_format="l" * len(headers))


def compare_at_hoyer(records: Iterable[dict[str, Any]], level: float, metric: str = "probe_accuracy",
                     hoyer: str = "avg_hoyer") -> pd.DataFrame:
    """Each method's ``metric`` at Average Hoyer ``level``, linearly interpolated along its sweep.

    Points are the seed-means of every configuration of a (method, corpus, mode, preset, split);
    a level outside a method's range is reported as such, never extrapolated.
    """
    frame = records_to_frame(records)
    if frame.empty:
        return pd.DataFrame()
    table = aggregate(frame, [metric, hoyer])
    out = []
    keys = ["method", "corpus", "mode", "preset", "train_split"]
    for k, grp in table.groupby(keys, sort=True):
        pts = grp[[f"{hoyer}_mean", f"{metric}_mean"]].dropna().sort_values(f"{hoyer}_mean")
        xs, ys = pts[f"{hoyer}_mean"].to_numpy(), pts[f"{metric}_mean"].to_numpy()
        if len(xs) and xs[0] - 1e-9 <= level <= xs[-1] + 1e-9:
            value = float(np.interp(level, xs, ys)) if len(xs) > 1 else float(ys[0])
            note = ""
        else:
            value = float("nan")
            note = f"outside its range [{xs.min():.3f}, {xs.max():.3f}]" if len(xs) else "no points"
        out.append({**dict(zip(keys, k)), "points": len(xs), f"{metric}@hoyer={level:g}": value, "note": note})
    return pd.DataFrame(out)
