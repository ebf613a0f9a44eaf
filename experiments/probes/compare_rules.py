"""The evidence behind the probe's rule (docs/probes.md): probe rules compared on real codes, paired.

1. Capture the codes a re-score feeds the scorers (every mode of every cell, and the references):

       python experiments/probes/compare_rules.py dump OUT_DIR -- run -m topk,hsvae -c yahoo \\
           --backbone embedding --encoder all-MiniLM-L6-v2 --train-split valid --preset cpu \\
           --data-dir ../shared/data --threads 1 --results-dir RESULTS --set probe_sizes=all

   (any ``bench`` command line after ``--``; a scoring setting such as ``probe_sizes=all`` makes a
   finished grid re-score its stored weights).  Each ``score`` call's codes and labels are written to
   OUT_DIR/NNN-<width>d.npz in the order bench scores them (sparse codes as CSR beside it).

2. Compare the rules on them, over ``--repeats`` seeded stratified subsamples per size (paired: every
   rule sees the same subsample):

       python experiments/probes/compare_rules.py compare OUT_DIR/*.npz --sizes 10,100,all --repeats 10

   Rules: ``old`` (standardised, C = 1: scoring protocol ≤ 2), ``standard`` and ``maxabs`` (C by
   inner CV), ``auto`` (scaler and C by inner CV: protocol 3).  ``auto`` is read off the other two:
   it fits both on the same folds and keeps the one of the higher inner accuracy (ties: standard),
   as ``tasks.probes.choose_scaler_and_C`` does.  Printed: mean test accuracy per rule and the mean
   paired differences with their standard errors.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sp

RULES = {"old": {"cv_C": None, "scaler": "standard"}, "standard": {"scaler": "standard"},
         "maxabs": {"scaler": "maxabs"}}
KEYS = ("train_codes", "train_labels", "test_codes", "test_labels", "train_decoded", "test_decoded")


def dump(out: Path, bench_args: list[str]) -> int:
    import bench.evaluate
    import tasks.references
    import tasks.scoring
    from bench.cli import main

    out.mkdir(parents=True, exist_ok=True)
    real, count = tasks.scoring.score, [0]

    def capturing(inputs, config, per="mode", scorers=None):
        if per == "mode" and inputs.get("train_codes") is not None:
            name = out / f"{count[0]:03d}-{np.shape(inputs['train_codes'])[1]}d"
            arrays = {k: inputs[k] for k in KEYS if inputs.get(k) is not None}
            for split in ("train_codes", "test_codes"):
                if sp.issparse(arrays[split]):
                    sp.save_npz(f"{name}-{split}.npz", sp.csr_matrix(arrays.pop(split)))
            np.savez(f"{name}.npz", **arrays)
            count[0] += 1
        return real(inputs, config, per, scorers)

    bench.evaluate.score = tasks.references.score = capturing
    sys.argv = ["bench", *bench_args]
    return main()


def load(path: Path) -> dict:
    data = dict(np.load(path))
    for split in ("train_codes", "test_codes"):
        if split not in data:
            data[split] = sp.load_npz(path.with_name(f"{path.stem}-{split}.npz"))
    return data


def compare(paths: list[Path], sizes: list[int | None], repeats: int, decoded: bool) -> None:
    from tasks.probes import logistic_probe, stratified_subsample

    for path in paths:
        data = load(path)
        sets = [("code", data["train_codes"], data["test_codes"])]
        if decoded and "train_decoded" in data:
            sets.append(("decoded", data["train_decoded"], data["test_decoded"]))
        y, yt = data["train_labels"], data["test_labels"]
        for what, x, xt in sets:
            x = sp.csr_matrix(x) if sp.issparse(x) else np.asarray(x)
            for size in sizes:
                draws = [np.arange(len(y))] if size is None else \
                    [stratified_subsample(y, size, np.random.default_rng([0, size, r])) for r in range(repeats)]
                acc: dict[str, list[float]] = {rule: [] for rule in (*RULES, "auto")}
                picked = []
                for index in draws:
                    scores = {rule: logistic_probe(x[index], y[index], xt, yt, **kw) for rule, kw in RULES.items()}
                    for rule, score in scores.items():
                        acc[rule].append(score.accuracy)
                    best = "maxabs" if scores["maxabs"].cv_accuracy > scores["standard"].cv_accuracy else "standard"
                    acc["auto"].append(scores[best].accuracy)
                    picked.append(best)
                mean = {rule: float(np.mean(v)) for rule, v in acc.items()}
                diff = lambda a, b: np.subtract(acc[a], acc[b])  # noqa: E731
                se = lambda d: float(np.std(d, ddof=1) / np.sqrt(len(d))) if len(d) > 1 else 0.0  # noqa: E731
                pairs = " ".join(f"{a}−{b} {diff(a, b).mean():+.3f}±{se(diff(a, b)):.3f}"
                                 for a, b in (("maxabs", "standard"), ("auto", "standard"), ("auto", "maxabs")))
                print(f"{path.stem:28s} {what:8s} n={'all' if size is None else size:>4} ×{len(draws):<2} "
                      + " ".join(f"{rule} {m:.3f}" for rule, m in mean.items())
                      + f" | {pairs} | auto picked maxabs {picked.count('maxabs')}/{len(picked)}", flush=True)


def main() -> int:
    argv = sys.argv[1:]
    if argv[:1] == ["dump"] and "--" in argv:
        return dump(Path(argv[1]), argv[argv.index("--") + 1:])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["compare"])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--sizes", default="10,100,all")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--decoded", action="store_true", help="also the decoded embeddings, where captured")
    args = parser.parse_args(argv)
    sizes = [None if s == "all" else int(s) for s in args.sizes.split(",")]
    compare([p for p in args.paths if not p.stem.endswith(("-train_codes", "-test_codes"))], sizes, args.repeats,
            args.decoded)
    return 0


if __name__ == "__main__":
    sys.exit(main())
