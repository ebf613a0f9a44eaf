"""Reading a results folder for a command that draws from records alone (``bench plot``, ``bench frontier``)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import click


def track_folders(results_dir: Path) -> list[Path]:
    """``results_dir`` itself when it holds ``runs/``; else its subfolders that do (``results/reference`` holds
    ``text/`` and ``embedding/``); else ``results_dir`` (whose missing ``runs/`` the caller reports)."""
    if (results_dir / "runs").is_dir() or not results_dir.is_dir():
        return [results_dir]
    found = sorted(p for p in results_dir.iterdir() if (p / "runs").is_dir())
    return found or [results_dir]


def current_records(results_dir: Path, as_published: bool = False) -> list[dict[str, Any]]:
    """The successful records of today's protocols under ``results_dir`` (``as_published``: of the newest
    scoring protocol among them, :func:`bench.report.stale.published_scoring`): damaged records and those of
    an older protocol are named on stderr and left out; none left is a user error."""
    from bench.config.spec import TRAINING_VERSION
    from bench.errors import UserError
    from bench.report.stale import published_scoring, split_stale, stale_note
    from bench.store.results import Store
    from tasks.scoring import SCORING_VERSION

    store = Store(results_dir)
    scan = store.scan()
    if scan.damaged:
        click.echo(scan.damaged_note(), err=True)
    ok = [r for r in scan.records if r.get("status") == "ok"]
    records, stale = split_stale(ok, as_published)
    if stale:
        click.echo(stale_note(stale).replace(", `--all-protocols` shows them", ""), err=True)
    if not records and stale:
        published = None if as_published else published_scoring(stale)
        as_then = f"; or --as-published reads them as they were published (scoring protocol {published})" \
            if published is not None else ""
        raise UserError(f"none of the {len(stale)} successful run record(s) under {store.runs} is of today's protocols "
                        f"(training {TRAINING_VERSION}, scoring {SCORING_VERSION}); `bench run` with the options that "
                        f"made them re-scores the cells whose weights are kept and trains the others{as_then}")
    if not records:
        raise UserError(f"no successful run records under {store.runs}; run `bench run` first or pass --results-dir")
    return records
