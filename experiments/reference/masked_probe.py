"""Two checks of the probe accuracy on a frontier, on stored cells re-encoded from their weights.

1. How much of a code's accuracy lies in the entries its activity reading calls inactive. The
   frontiers read sparsity as active dimensions, and for a code without exact zeros an entry is
   "active" when |z| > 0.15 (or when the latent model's own on/off variable says so); the probe reads
   the whole code. A code whose class signal sits below the threshold (a collapsed VAE's means,
   MAT-VAE's means in its spike) then reads as "0–2 active dims" at an accuracy those dims do not
   carry. Column "inactive set to 0": the code with those entries zeroed, probed on the full path.
2. Whether the probe's path over C stopped early. Since scoring protocol 4 the inner CV walks the C
   grid smallest first and stops once two larger Cs score strictly below the best so far
   (``tasks.probes.best_on_path``, patience 2). On a weak code the first Cs sit on a near-flat plateau
   (an almost constant predictor), where a fall of 1e-4 counts as a fall. Column "full path": the
   same probe (same folds: the cell's seed) reading every C of the grid.

    python experiments/reference/masked_probe.py RESULTS_DIR DATA_DIR [CELL_PREFIX ...]

RESULTS_DIR is a sweep's results folder with ``models/`` (the committed records hold no weights);
the cells are those whose weights are there, optionally those whose folder names start with a
prefix. Column "as scored" recomputes the record's probe (same rule, same folds) as a check that the
codes are the ones scored; it should equal "record".

Correction (session 35): "inactive set to 0" zeroes entries whose activity is ≤ 0.5.  For a binary
reading (|z| > 0.15, exact zeros) that is the reading itself; for a probability per entry (HSVAE's
E[1 − γ], TON's γ, whose sum is the ``active_dims`` reported) it keeps far fewer entries than are
counted, none at HSVAE's sparse points, so those rows do not measure the accuracy of the counted dims.
Scoring protocol 7 measures it (``masked_probe_accuracy``, keeping each code's round(Σ a) most probable entries).

Scoring protocol 7 acts on both findings: the path walks through the opening plateau
(``tasks.probes.DEFAULT_RISE``), and ``masked_probe_accuracy`` (the probe of the code with its inactive
entries zeroed, a probability reading keeping its round(Σ a) most probable entries) is the accuracy of the
active-dims frontier.  This script now zeroes by the same rule (``tasks.retrieval.masked``); the published
table (results/reference/frontier-text/masked_probe.md) was made with the ≤ 0.5 zeroing, on protocol 6's
records.  Run on records of protocol 7, "as scored" follows today's rule and "inactive set to 0" equals the
record's ``masked_probe_accuracy`` wherever the full path and the stopped one agree.
"""
from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import numpy as np


def _lines(path: Path) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def _split(data: Path, corpus: str, split: str) -> tuple[list[str], np.ndarray]:
    folder = data / corpus
    text = next(p for p in (folder / f"{split}.txt.gz", folder / f"{split}.txt") if p.is_file())
    labels = next(p for p in (folder / f"{split}_class_label.txt.gz", folder / f"{split}_class_label.txt")
                  if p.is_file())
    return _lines(text), np.array([int(v) for v in _lines(labels)])


def _cells(results: Path, prefixes: list[str]) -> list[Path]:
    """Cell folders of ``results`` whose model (by train id) is stored, optionally those ``prefixes`` name."""
    stored = {p.name.rsplit("-", 1)[-1] for p in (results / "models").iterdir() if (p / "model.pt").is_file()}
    out = []
    for folder in sorted((results / "runs").iterdir()):
        record = folder / "record.json"
        if folder.name.startswith("ref-") or not record.is_file():
            continue
        if json.loads(record.read_text(encoding="utf-8")).get("train_id") not in stored:
            continue
        if not prefixes or any(folder.name.startswith(p) or folder.name.rsplit("-", 1)[-1].startswith(p)
                               for p in prefixes):
            out.append(folder)
    return out


def main(argv: list[str]) -> int:
    import torch

    from bench.use.encoder import load
    from tasks.probes import logistic_probe
    from tasks.retrieval import masked as zeroed

    import functools

    import tasks.probes as probes

    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    results, data, prefixes = Path(argv[0]), Path(argv[1]), argv[2:]
    torch.set_num_threads(1)
    print("| cell | setting | mode | activity rule | active dims | record | as scored (C) | full path (C) | "
          "inactive set to 0 |")
    print("|---|---|---|---|---|---|---|---|---|")
    early, whole = probes.choose_C, functools.partial(probes.choose_C, patience=None)

    def probe(train, test, patience_rule):
        probes.choose_C = patience_rule  # choose_scaler_and_C looks it up at call time
        try:
            return logistic_probe(train, train_y, test, test_y, scaler="auto", random_state=int(spec["seed"]))
        finally:
            probes.choose_C = early

    splits: dict[str, tuple] = {}
    for folder in _cells(results, prefixes):
        record = json.loads((folder / "record.json").read_text(encoding="utf-8"))
        spec, metrics = record["spec"], record["metrics"]
        mode = metrics["headline_modes"]["deterministic"]
        corpus, train_split = spec["corpus"], spec.get("train_split", "train")
        if corpus not in splits:
            splits[corpus] = (_split(data, corpus, train_split), _split(data, corpus, "test"))
        (train_text, train_y), (test_text, test_y) = splits[corpus]
        encoder = load(folder, results)
        train, train_act, rule = encoder.encode_with_activity(train_text, mode)
        test, test_act, _ = encoder.encode_with_activity(test_text, mode)
        scored, full = probe(train, test, early), probe(train, test, whole)
        masked = probe(zeroed(train, train_act), zeroed(test, test_act), whole)
        setting = " ".join(f"{k.split('.')[-1]}={v}" for k, v in spec.get("overrides", [])) or "defaults"
        scores = metrics["modes"][mode]
        print(f"| {folder.name} | {setting} | {mode} | {str(rule).replace('|', chr(92) + '|')} | {scores['active_dims']:.2f} | "
              f"{scores['probe_accuracy']:.3f} | {scored.accuracy:.3f} ({scored.C:g}) | {full.accuracy:.3f} "
              f"({full.C:g}) | {masked.accuracy:.3f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
