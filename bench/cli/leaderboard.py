"""``bench leaderboard``: a table from the stored records alone (no training, no torch)."""
from __future__ import annotations

from pathlib import Path

import click

FORMATS = {"md": "github", "github": "github", "plain": "simple", "latex": "latex_booktabs", "html": "html",
           "csv": "tsv"}


@click.command()
@click.option("--results-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("results"),
              show_default=True)
@click.option("--metric", "metrics", multiple=True,
              help="Metric column(s) to show (default: probe_accuracy, avg_hoyer, nll_per_token). Repeatable.")
@click.option("--modes", type=click.Choice(["all", "default"]), default="all", show_default=True,
              help="Show every encode mode, or only each method's default mode.")
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default="md", show_default=True)
def leaderboard(results_dir: Path, metrics: tuple[str, ...], modes: str, fmt: str) -> None:
    """Mean ± std over seeds of every stored configuration."""
    from bench.errors import UserError
    from bench.leaderboard import DEFAULT_METRICS, render
    from bench.store import Store

    store = Store(results_dir)
    records = list(store.records())
    if not records:
        raise UserError(f"no run records under {store.runs}; run `bench run` first or pass --results-dir")
    table = render(records, metrics or DEFAULT_METRICS, FORMATS[fmt], modes)
    if not table:
        raise UserError(f"no successful runs among the {len(records)} records under {store.runs}")
    click.echo(table)
