"""``bench leaderboard``: a table from the stored records alone (no training, no torch)."""
from __future__ import annotations

from pathlib import Path

import click

from bench.cli.options import FolderPath, OutputPath
from bench.report.leaderboard import FORMATS, KEY_COLUMNS, MODE_VIEWS


@click.command()
@click.option("--results-dir", type=FolderPath(), default=Path("results"),
              show_default=True)
@click.option("--metric", "metrics", multiple=True,
              help="Metric column(s) (default: probe_accuracy, avg_hoyer, nll_per_token). Repeatable or comma list.")
@click.option("--modes", type=click.Choice(MODE_VIEWS), default="matched", show_default=True,
              help="matched: each method's deterministic and stochastic headline mode, compared like with like; "
                   "all: every encode mode; default: each method's default mode.")
@click.option("--group-by", default=None,
              help=f"Comma list of columns that define a row (default: {','.join(KEY_COLUMNS)}); seeds are averaged.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="md", show_default=True)
@click.option("--ci", is_flag=True, help="Add 95% bootstrap confidence intervals over seeds (scipy.stats.bootstrap).")
@click.option("--compare-at-hoyer", "hoyer_level", type=float, default=None,
              help="Instead: each method's probe accuracy at this Average Hoyer, interpolated along its sweep.")
@click.option("--output", "-o", type=OutputPath(), default=None,
              help="Also write the table to this file.")
@click.option("--all-protocols", is_flag=True,
              help="Also show records made under an older training/scoring protocol (left out by default).")
@click.option("--as-published", is_flag=True,
              help="Read the records as of the newest scoring protocol among them (a track published under an "
                   "older protocol, as it was published), not today's; records older still stay left out.")
def leaderboard(results_dir: Path, metrics: tuple[str, ...], modes: str, group_by: str | None, fmt: str, ci: bool,
                hoyer_level: float | None, output: Path | None, all_protocols: bool, as_published: bool) -> None:
    """Mean ± std over seeds of every stored configuration; the best value among comparable rows in bold.

    A folder of result folders (results/reference holds text/ and embedding/) shows one table for each."""
    from bench.cli.records import track_folders

    tracks = track_folders(results_dir)
    tables = [(folder, _one_table(folder, metrics, modes, group_by, fmt, ci, hoyer_level, all_protocols, as_published))
              for folder in tracks]
    if fmt == "html" and hoyer_level is None:  # a page that opens on its own: doctype, charset, styles, notes
        from bench.report.html_page import page

        table = page([(str(folder) if len(tracks) > 1 else "", t) for folder, t in tables], [],
                     subtitle=str(results_dir))
    else:
        table = "\n\n".join(t if len(tracks) == 1 else f"## {folder}\n\n{t}" for folder, t in tables)
    _warn_broken_metric_plugins()
    click.echo(table)
    if output:
        from bench.store.results import atomic_write_text

        atomic_write_text(output, table + "\n")
        click.echo(f"written to {output}", err=True)


def _one_table(results_dir: Path, metrics: tuple[str, ...], modes: str, group_by: str | None, fmt: str, ci: bool,
               hoyer_level: float | None, all_protocols: bool, as_published: bool = False) -> str:
    from bench.errors import UserError
    from bench.report.leaderboard import DEFAULT_METRICS, compare_at_hoyer, render
    from bench.report.stale import split_stale, stale_note
    from bench.store.results import Store

    store = Store(results_dir)
    scan = store.scan()
    records = scan.records
    if scan.damaged:
        click.echo(scan.damaged_note(), err=True)
    if not all_protocols:
        records, stale = split_stale(records, as_published)
        if stale:
            click.echo(stale_note(stale), err=True)
    if not records:
        raise UserError(f"no usable run records under {store.runs}"
                        + (f" ({len(scan.damaged)} damaged)" if scan.damaged else "")
                        + "; run `bench run` first or pass --results-dir")
    names = [m.strip() for item in metrics for m in item.split(",") if m.strip()] or list(DEFAULT_METRICS)
    if hoyer_level is not None:
        if not 0.0 <= hoyer_level <= 1.0:
            raise UserError(f"--compare-at-hoyer {hoyer_level}: Average Hoyer lies in [0, 1]")
        frame = compare_at_hoyer(records, hoyer_level)
        table = frame.to_csv(index=False, float_format="%.4f") if fmt == "csv" else \
            frame.to_markdown(index=False, floatfmt=".3f")
    else:
        groups = [g.strip() for g in group_by.split(",")] if group_by else None
        table = render(records, names, fmt, modes, groups, ci, notes=True)
    if not table:
        raise UserError(f"no successful runs among the {len(records)} records under {store.runs}")
    return table


def _warn_broken_metric_plugins() -> None:
    """One line on stderr when a metric plugin was left out: its columns are missing, not zero."""
    from tasks.metrics import plugin_failures

    failures = plugin_failures()
    if failures:
        names = ", ".join(name for name, _ in failures)
        click.echo(f"warning: {len(failures)} metric plugin(s) left out ({names}): {failures[0][1]}"
                   f"{' (and more)' if len(failures) > 1 else ''}; see `bench list metrics`", err=True)
