"""Scoring protocol 3's probe against protocol 4's on the same real codes: chosen C, scaler, accuracy, CPU time.

Protocol 4 (``tasks.probes`` today) stops each path over C two points past its peak and tries max-abs
scaling only on mostly-zero codes; protocol 3 is the module as it was at ``--before`` (a git revision,
loaded from ``git show``), which fit the whole grid for both scalers.  Codes come from
``compare_rules.py dump`` (every mode a re-score feeds the scorers):

    python experiments/probes/compare_protocols.py OUT_DIR/*.npz --before 41d8cb3 --sizes 10,all

For each file, the code (and its decoded embedding with ``--decoded``), and each size (``all``: the
whole training split; n: ``--repeats`` seeded stratified subsamples of n per class, drawn as the sweep
draws them), both rules are fit single-threaded on the same subsample; printed per row: chosen C and
scaler, test accuracy and CPU seconds of each, one tab-separated line.
"""
from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from experiments.probes.compare_rules import load  # noqa: E402


def probes_at(revision: str):
    source = subprocess.run(["git", "show", f"{revision}:tasks/probes.py"], capture_output=True, text=True,
                            check=True, cwd=Path(__file__).resolve().parents[2]).stdout
    spec = importlib.util.spec_from_loader(f"probes_{revision}", loader=None)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    exec(compile(source, f"{revision}:tasks/probes.py", "exec"), module.__dict__)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--before", required=True, help="git revision of protocol 3's tasks/probes.py")
    parser.add_argument("--sizes", default="all")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--decoded", action="store_true")
    args = parser.parse_args()
    from tasks import probes as after
    before = probes_at(args.before)
    sizes = [None if s == "all" else int(s) for s in args.sizes.split(",")]
    print("file\twhat\tsize\trepeat\tC3\tscaler3\tacc3\tcpu3\tC4\tscaler4\tacc4\tcpu4", flush=True)
    for path in args.paths:
        data = load(path)
        sets = [("code", data["train_codes"], data["test_codes"])]
        if args.decoded and "train_decoded" in data:
            sets.append(("decoded", data["train_decoded"], data["test_decoded"]))
        y, yt = data["train_labels"], data["test_labels"]
        for what, x, xt in sets:
            for size in sizes:
                for r in range(1 if size is None else args.repeats):
                    index = np.arange(len(y)) if size is None else after.stratified_subsample(
                        y, size, np.random.default_rng(np.random.SeedSequence([0, size, r])))
                    row = [path.stem, what, "all" if size is None else str(size), str(r)]
                    for module in (before, after):
                        start = time.process_time()
                        with threadpool_limits(1):
                            p = module.logistic_probe(x[index], y[index], xt, yt, random_state=0)
                        row += [f"{p.C:g}", p.scaler, f"{p.accuracy:.4f}", f"{time.process_time() - start:.1f}"]
                    print("\t".join(row), flush=True)


if __name__ == "__main__":
    main()
