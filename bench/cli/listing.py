"""``bench list``: what can be run.  Must not import torch (a test enforces it)."""
from __future__ import annotations

import click
from tabulate import tabulate

WHAT = ("methods", "corpora", "presets")


@click.command("list")
@click.argument("what", required=False, type=click.Choice(WHAT))
def list_(what: str | None) -> None:
    """List methods (with modes and hyperparameters), corpora and presets."""
    for section in (what,) if what else WHAT:
        click.echo(f"{section}:")
        click.echo(_SECTIONS[section]())
        click.echo("")


def _methods() -> str:
    from methods.registry import all_methods

    rows = []
    for name, entry in sorted(all_methods().items()):
        params = ", ".join(f"{k}={v}" for k, v in entry.hyperparameters().items())
        modes = ", ".join(f"{m}*" if m == entry.default_mode else m for m in entry.modes)
        rows.append([name, entry.origin, modes, params, entry.description])
    return tabulate(rows, headers=["method", "origin", "modes (* default)", "hyperparameters (defaults)", "description"])


def _corpora() -> str:
    from tasks.corpora import CORPORA

    return tabulate([[c.name, c.description] for c in CORPORA.values()], headers=["corpus", "description"])


def _presets() -> str:
    from bench.presets import PRESETS

    rows = [[n, p.description, ", ".join(f"{k}={v}" for k, v in {**p.model, **p.train}.items())]
            for n, p in PRESETS.items()]
    return tabulate(rows, headers=["preset", "description", "settings"])


_SECTIONS = {"methods": _methods, "corpora": _corpora, "presets": _presets}
