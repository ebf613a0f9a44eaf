"""``bench plot``: PNG figures from the stored records alone."""
from __future__ import annotations

from pathlib import Path

import click

from bench.cli.options import FolderPath, OutputPath


@click.command()
@click.option("--results-dir", type=FolderPath(), default=Path("results"),
              show_default=True)
@click.option("--out", type=OutputPath(folder=True), default=None,
              help="Folder for the PNGs [default: RESULTS_DIR/plots].")
@click.option("--modes", type=click.Choice(["all", "matched", "default"]), default="all", show_default=True,
              help="Which encode modes to draw (markers: o deterministic, x stochastic).")
@click.option("--x", "x_metrics", multiple=True, default=("avg_hoyer",), show_default=True, metavar="METRIC",
              help="The trade-off's x-axis: any metric of the table, e.g. l0 for the sparse-autoencoder "
                   "track (written as tradeoff_<METRIC>.png). Repeatable: one figure per metric.")
@click.option("--heatmaps", is_flag=True,
              help="Also one class x dimension activation heatmap per table row and mode (many files).")
@click.option("--as-published", is_flag=True,
              help="Read the records as of the newest scoring protocol among them (a track published under an "
                   "older protocol, as it was published), not today's; records older still stay left out.")
def plot(results_dir: Path, out: Path | None, modes: str, x_metrics: tuple[str, ...], heatmaps: bool,
         as_published: bool) -> None:
    """Accuracy–sparsity trade-off, class KL, probe accuracy by labelled size, training curves (of runs with
    --set curve_every=N), the k-sparse probe surface, accuracy against an index's FLOPS and, with --heatmaps,
    activation heatmaps."""
    from bench.cli.records import current_records
    from bench.errors import UserError

    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UserError("bench plot needs matplotlib: pip install 'sparsebench[plot]'") from None
    from bench.report.plots import check_x_metric, plot_all

    for x_metric in x_metrics:
        check_x_metric(x_metric)  # a misspelt metric fails before the records are read
    records = current_records(results_dir, as_published)
    written, skipped = plot_all(records, out or results_dir / "plots", modes, x_metrics, heatmaps)
    from bench.report.metric_plots import metric_figures  # the use metrics' figures: k-sparse surface, accuracy vs FLOPS

    more, why = metric_figures(records, out or results_dir / "plots", modes)
    written, skipped = written + more, skipped + why
    for p in written:
        click.echo(f"wrote {p}")
    for why in skipped:
        click.echo(f"skipped {why}")
