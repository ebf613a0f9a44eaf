"""How the sparsemax code's support evolves in the first steps of training, for each ``norm``.

The text track's sparsemax codes under ``norm = "l1"`` (κ·sparsemax, the harness's first version)
were one-hot and probed at chance.  This measures why, on the reference protocol's own data, model
and batches: every ``--every`` optimiser steps it encodes a fixed sample of test sentences and prints
one JSON line with the mean support size, how many coordinates any sentence uses, the logits' spread
and the top coordinate's share of the mass.  No record is written; it is a measurement, not a cell.

    python experiments/reference/sparsemax_support.py --norm l1 --epochs 1   # ≈ 3 min on one core
    python experiments/reference/sparsemax_support.py --norm l2 --epochs 1
"""
from __future__ import annotations

import argparse
import json

import numpy as np
import torch


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--norm", choices=("l1", "l2"), default="l2")
    ap.add_argument("--corpus", default="yahoo")
    ap.add_argument("--data-dir", default="../shared/data")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--every", type=int, default=50, help="optimiser steps between measurements")
    ap.add_argument("--sentences", type=int, default=1000, help="test sentences measured")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(1)

    from entmax import sparsemax

    from bench.cells.method import MethodCell
    from bench.cells.models import build_model
    from bench.cells.train import train
    from bench.config.spec import RunSpec
    from bench.data.prepare import BATCH_STREAM, DataOptions, load_data

    cell = MethodCell.resolve(RunSpec("sparsemax", args.corpus, args.seed, "reference",
                                      (("sparsemax.norm", args.norm),), "valid"))
    data = load_data(cell, DataOptions({"data_dir": args.data_dir}))
    train_data, test_data = data.train, data.test
    torch.manual_seed(args.seed)  # as a method cell does: the same initial weights as the grid's cell
    model = build_model("sparsemax", cell.config["method_config"], data.shape)
    rows = np.sort(np.random.default_rng(123).choice(len(test_data), min(args.sentences, len(test_data)), replace=False))
    fixed = test_data.batch(rows)

    def measure(step: int, total: int = 0) -> None:
        if step % args.every:
            return
        model.eval()
        with torch.no_grad():
            logits = model.head(model.backbone.encode_hidden(fixed))
            p = sparsemax(logits, dim=-1)
        model.train()
        on = p > 0
        top = logits.sort(-1, descending=True).values
        print(json.dumps({"step": step, "support": round(on.sum(1).float().mean().item(), 3),
                          "coordinates_used": int(on.any(0).sum()),
                          "logit_std": round(logits.std(1).mean().item(), 4),
                          "top_gap": round((top[:, 0] - top[:, 1]).mean().item(), 4),
                          "top_share": round(p.max(1).values.mean().item(), 4)}), flush=True)

    measure(0)
    t = cell.config["train"]
    rng = np.random.default_rng(np.random.SeedSequence([args.seed, BATCH_STREAM]))
    train(model, train_data, epochs=args.epochs, batch_size=t["batch_size"], lr=t["lr"], rng=rng,
          device=torch.device("cpu"), on_step=measure, length_pool=t["length_pool"])


if __name__ == "__main__":
    main()
