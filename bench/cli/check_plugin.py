"""``bench check-plugin NAME``: the conformance suite from the command line, on the synthetic corpus.

The same checks a plugin author runs in pytest (``methods.conformance``), on every backbone the
method declares, so "it passes here" and "it passes in my tests" mean the same thing.  A check that
relies on one that failed is reported as its consequence, not as a failure of its own.  Exit 0 if
all pass, 1 if any fails, 2 for an unknown or unloadable method (a user error).
"""
from __future__ import annotations

import sys

import click


@click.command("check-plugin")
@click.argument("name")
@click.option("--steps", default=60, show_default=True, help="Adam steps of the short training check.")
@click.option("--seed", default=0, show_default=True, help="Seed of the model and the batches.")
def check_plugin(name: str, steps: int, seed: int) -> None:
    """Run the conformance checks on method NAME (built-in or installed plugin)."""
    import warnings

    from bench.data.batches import synthetic_conformance_data
    from methods.conformance import run_checks
    from methods.registry import get_method

    entry = get_method(name)  # unknown name: MethodError, reported with exit code 2
    cls = entry.load()
    data = synthetic_conformance_data(seed)
    failed, consequences, passed = [], 0, 0
    for backbone in cls.backbones:
        click.echo(f"checking {name} ({entry.origin}, {cls.__module__}.{cls.__qualname__}) on the synthetic corpus, "
                   f"{backbone} backbone")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a root cause is reported below; library warnings would bury it
            results = run_checks(cls, data, seed=seed, train_steps=steps, backbone=backbone)
        for r in results:
            tag = "PASS" if r.passed else ("SKIP" if r.skipped else "FAIL")
            click.echo(f"{tag}  {r.name:<12} {r.detail}")
            passed += r.passed
            consequences += r.skipped
            if not r.passed and not r.skipped:
                failed.append(f"{r.name} ({backbone})")
    note = f" ({consequences} not run because of a failure before them)" if consequences else ""
    click.echo(f"{passed} passed, {len(failed)} failed{note}")
    if failed:
        sys.exit(1)
