"""``bench run``: the grid method × corpus × seed, resumed from the store, ending with a leaderboard."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from bench.cli.options import comma_list, parse_seeds


@click.command()
@click.option("--methods", "-m", default="vae", show_default=True, help="Comma-separated method names (bench list methods).")
@click.option("--corpora", "-c", default="synthetic", show_default=True, help="Comma-separated corpus names (bench list corpora).")
@click.option("--preset", "-p", default="smoke", show_default=True, help="Sizes and epochs: smoke, cpu or paper.")
@click.option("--seeds", default="1", show_default=True, help="A number of seeds (3 → 0,1,2) or a comma list.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a training field or hyperparameter (epochs=3, latent_dim=16, vae.beta=0.5). Repeatable.")
@click.option("--train-split", default="train", show_default=True, help="Split to train on (e.g. valid when train is absent).")
@click.option("--resume", type=click.Choice(["missing", "always", "cache-only"]), default="missing", show_default=True,
              help="missing: reuse finished cells; always: rerun; cache-only: never train.")
@click.option("--results-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("results"),
              show_default=True, help="Where run records and tables go.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of corpus files (default: $SPARSEBENCH_DATA, else the per-user cache).")
@click.option("--device", default="cpu", show_default=True, help="torch device for training.")
@click.option("-v", "--verbose", is_flag=True, help="Print per-epoch losses.")
def run(methods: str, corpora: str, preset: str, seeds: str, sets: tuple[str, ...], train_split: str, resume: str,
        results_dir: Path, data_dir: Path | None, device: str, verbose: bool) -> None:
    """Train and evaluate each method on each corpus for each seed, then print the leaderboard.

    Finished cells are reused from the store (see --resume), so rerunning a command only runs what is missing.
    """
    from bench.config import parse_overrides
    from bench.leaderboard import render
    from bench.runner import expand, run_all
    from bench.store import Store

    specs = expand(comma_list(methods, "methods"), comma_list(corpora, "corpora"), parse_seeds(seeds), preset,
                   parse_overrides(sets), train_split)
    store = Store(results_dir)
    summary = run_all(specs, store, resume=resume, device=device, echo=click.echo, verbose=verbose,
                      corpus_options={"data_dir": data_dir})
    records = [o.record for o in summary.outcomes if o.record is not None]
    table = render(records)
    if table:
        click.echo("")
        click.echo(table)
    click.echo(f"\n{summary.count('ok')} trained, {summary.count('cached')} cached, "
               f"{summary.count('failed')} failed, {summary.count('missing')} missing; records in {store.runs}")
    if summary.failed:
        sys.exit(1)
