"""Which sentences turn a dimension on: one static HTML page per cell, readable offline.

The question is the HSVAE paper's class-activation analysis asked of single dimensions: how often is
a dimension active, for which classes, and on which sentences.  Activity is read as the scorers read
it (:meth:`bench.use.encoder.CellEncoder.encode_with_activity`: the latent model's own on/off
variable where it reports one, else ``z ≠ 0`` or the raw-code threshold).  The page is one file with
its script, style and data inline (no server, no network): per dimension its activation frequency,
its class distribution and purity (when labels are known) and its top sentences with their values;
per sentence its active dimensions; a search box; sorting by activity, purity or dimension.

Size stays bounded: each dimension keeps its ``top`` sentences, each sentence at most ``per_sentence``
of its active dimensions (the largest, with the count of all), values rounded to 3 significant
digits and sentences cut to ``max_chars`` characters; 10K sentences × 32 dimensions stay under 5 MB.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Sequence

import numpy as np

#: Bounds of the page's size (see the module docstring).
TOP_SENTENCES, PER_SENTENCE, MAX_CHARS = 20, 16, 240


@dataclass
class PageInput:
    """What the page shows: sentences, their codes and activity, labels if known, and the cell's description."""

    sentences: Sequence[str]
    codes: np.ndarray
    activity: np.ndarray
    rule: str
    labels: np.ndarray | None = None
    class_names: Sequence[str] = ()
    meta: dict[str, Any] = field(default_factory=dict)


def _round(x: np.ndarray) -> list[float]:
    """3 significant digits: enough to rank and read, a third of the characters of a float32."""
    return [float(f"{v:.3g}") for v in np.asarray(x, dtype=np.float64).tolist()]


def page_data(page: PageInput, *, top: int = TOP_SENTENCES, per_sentence: int = PER_SENTENCE,
              max_chars: int = MAX_CHARS) -> dict[str, Any]:
    """The JSON the page embeds (see the module docstring for what is kept)."""
    codes = np.asarray(page.codes, dtype=np.float32)
    # Activity as the scorers read it: 0/1, or a probability where the model reports one (HSVAE's
    # sparse_mean: E[1 − γ]).  A dimension's frequency and class profile are then expectations (the
    # record's active fraction, per dimension); a sentence's chips are the dimensions more likely on than off.
    weight = np.clip(np.asarray(page.activity, dtype=np.float64), 0.0, 1.0)
    fractional = bool(np.any((weight > 0) & (weight < 1)))
    on = weight > 0.5
    n, dims = codes.shape
    labels = None if page.labels is None else np.asarray(page.labels, dtype=np.int64)
    n_classes = len(page.class_names) if labels is not None else 0
    strength = np.where(weight > 0, weight * np.abs(codes), -np.inf)  # inactive entries never shown
    out_dims = []
    for d in range(dims):
        expected = float(weight[:, d].sum())
        count = round(expected, 1) if fractional else int(round(expected))
        row: dict[str, Any] = {"d": d, "count": count, "freq": round(expected / max(n, 1), 4)}
        if labels is not None:
            per_class = np.bincount(labels, weights=weight[:, d], minlength=n_classes)[:n_classes]
            row["classes"] = [round(float(k), 1) for k in per_class] if fractional else per_class.astype(int).tolist()
            row["purity"] = round(float(per_class.max() / expected), 4) if expected > 0 else None
        order = np.argsort(-strength[:, d], kind="stable")[: min(top, int(np.count_nonzero(weight[:, d] > 0)))]
        row["top"] = [[int(i), v] for i, v in zip(order.tolist(), _round(codes[order, d]))]
        out_dims.append(row)
    active = []
    for i in range(n):
        idx = np.flatnonzero(on[i])
        kept = idx[np.argsort(-np.abs(codes[i, idx]), kind="stable")[:per_sentence]]
        flat: list[float] = []
        for d, v in zip(kept.tolist(), _round(codes[i, kept])):
            flat += [d, v]
        active.append([int(len(idx)), flat])
    texts = [s if len(s) <= max_chars else s[: max_chars - 1] + "…" for s in page.sentences]
    rule = page.rule + ("; a probability: counts and class bars are expected values, a sentence's chips the "
                        "dimensions with P(on) > 0.5" if fractional else "")
    meta = {**page.meta, "n": n, "dims": dims, "rule": rule, "top": top, "per_sentence": per_sentence,
            "classes": list(page.class_names) if labels is not None else None}
    prior = np.bincount(labels, minlength=n_classes)[:n_classes].tolist() if labels is not None else None
    return {"meta": meta, "prior": prior, "sentences": texts,
            "labels": labels.tolist() if labels is not None else None, "dims": out_dims, "active": active}


def render(page: PageInput, **bounds: int) -> str:
    """The page as one HTML string: the template with the data inline as JSON."""
    import jinja2

    data = json.dumps(page_data(page, **bounds), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    data = data.replace("<", "\\u003c")  # a sentence holding "</script>" or "<!--" must not end the data block
    template = resources.files("bench.use").joinpath("explore.html").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True)
    return env.from_string(template).render(title=page.meta.get("title", "sparsebench explore"),
                                            data=jinja2.utils.markupsafe.Markup(data))


def explore_cell(encoder: Any, sentences: Sequence[str], out_dir: Any, *, mode: str | None = None,
                 labels: np.ndarray | None = None, source: str = "", batch_size: int | None = None,
                 progress: bool | None = None, **bounds: int) -> Any:
    """Encode ``sentences`` with a :class:`~bench.use.encoder.CellEncoder` and write ``out_dir/index.html``."""
    from pathlib import Path

    from bench.store.results import atomic_write_text

    # the deterministic headline mode by default: a page about which sentences turn a dimension on should
    # not change between two runs (HSVAE's and the VAE's default modes are random draws)
    mode = encoder.check_mode(mode or encoder.explore_mode)
    codes, activity, rule = encoder.encode_with_activity(sentences, mode, batch_size=batch_size, progress=progress)
    spec = encoder.spec
    meta = {"title": f"{spec.label} on {spec.corpus}: which sentences turn each dimension on",
            "description": spec.describe(), "cell_id": encoder.cell_id, "mode": mode, "source": source}
    page = PageInput(sentences, codes, activity, rule or "", labels,
                     encoder.class_names if labels is not None else (), meta)
    path = Path(out_dir) / "index.html"
    atomic_write_text(path, render(page, **bounds))
    return path
