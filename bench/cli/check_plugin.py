"""``bench check-plugin NAME``: the conformance suite from the command line, on the synthetic corpus.

The same checks a plugin author runs in pytest (``methods.conformance``), so "it passes here" and
"it passes in my tests" mean the same thing.  Exit 0 if all pass, 1 if any fails, 2 for an unknown
method (a user error).
"""
from __future__ import annotations

import sys

import click


def synthetic_conformance_data(seed: int, n_batches: int = 8, batch_size: int = 16):
    """A few small batches of the built-in synthetic corpus, chosen by ``seed``."""
    import numpy as np

    from bench.data import PaddedSplit
    from methods.conformance import ConformanceData
    from tasks.corpora.synthetic import SyntheticSpec, make_synthetic

    corpus = make_synthetic(SyntheticSpec(train_size=(n_batches + 1) * batch_size, valid_size=0, test_size=0))
    data = PaddedSplit(corpus.split("train"))
    order = np.random.default_rng(seed).permutation(len(data))
    batches = [data.batch(np.sort(order[i * batch_size:(i + 1) * batch_size])) for i in range(n_batches + 1)]
    return ConformanceData(corpus.vocab_size, corpus.eos_id, batches[:-1], batches[-1])


@click.command("check-plugin")
@click.argument("name")
@click.option("--steps", default=60, show_default=True, help="Adam steps of the short training check.")
@click.option("--seed", default=0, show_default=True, help="Seed of the model and the batches.")
def check_plugin(name: str, steps: int, seed: int) -> None:
    """Run the conformance checks on method NAME (built-in or installed plugin)."""
    from methods.conformance import Checks, run_checks
    from methods.registry import get_method

    entry = get_method(name)  # unknown name: MethodError, reported with exit code 2
    cls = entry.load()
    click.echo(f"checking {name} ({entry.origin}, {cls.__module__}.{cls.__qualname__}) on the synthetic corpus")
    results = run_checks(cls, synthetic_conformance_data(seed), seed=seed, train_steps=steps)
    for r in results:
        click.echo(f"{'PASS' if r.passed else 'FAIL'}  {r.name:<12} {r.detail}")
    failed = [r.name for r in results if not r.passed]
    skipped = len(results) < len(Checks.NAMES)
    click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed" + (" (later checks skipped)" if skipped else ""))
    if failed:
        sys.exit(1)
