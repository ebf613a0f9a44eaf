"""``bench frontier``: accuracy–sparsity frontiers from the stored records alone (no training, no torch)."""
from __future__ import annotations

from pathlib import Path

import click

from bench.cli.options import FolderPath, OutputPath

#: The sparsity readings and formats (``bench.report.frontier.READINGS``, ``FORMATS``), spelled here so that
#: ``bench frontier --help`` reads no records module; a test checks that the two agree.
READINGS = ("avg_hoyer", "active_dims")
FORMATS = ("md", "csv")


def _levels(value: str | None) -> list[float] | None:
    from bench.errors import UserError

    if value is None:
        return None
    try:
        levels = sorted({float(v) for v in value.split(",") if v.strip()})
    except ValueError:
        raise UserError(f"invalid --levels {value!r}: give sparsity levels as a comma list, e.g. 0.2,0.3,0.4") from None
    if not levels:
        raise UserError("--levels is empty: give sparsity levels as a comma list, e.g. 0.2,0.3,0.4")
    return levels


@click.command()
@click.option("--results-dir", type=FolderPath(), default=Path("results"),
              show_default=True)
@click.option("--x", "x", type=click.Choice(READINGS), default="avg_hoyer", show_default=True,
              help="How sparsity is read: Average Hoyer (higher = sparser; accuracy: the probe of the whole "
                   "code) or active dimensions per code (fewer = sparser; accuracy: the probe of the active dims, "
                   "the inactive entries zeroed).")
@click.option("--levels", default=None, metavar="L1,L2,...",
              help="Sparsity levels to read each frontier's accuracy at [default: 5 levels across each panel's "
                   "frontiers].")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="md", show_default=True)
@click.option("--brief", is_flag=True,
              help="Markdown without the column that lists each frontier's points: the matched-sparsity table "
                   "(points swept, seeds, frontier AUC, accuracy at each level).")
@click.option("--output", "-o", type=OutputPath(), default=None,
              help="Also write the table to this file.")
@click.option("--plot", "plot_path", type=OutputPath(), default=None,
              help="Also draw the frontiers as a PNG here (needs matplotlib: sparsebench[plot]).")
@click.option("--config", "config", type=click.Path(path_type=Path), default=None, metavar="EXPERIMENT.toml",
              help="The experiment file that declares the sweep (as given to bench run --config): a method that "
                   "has not run every point it declares on a corpus is marked in progress, its frontier provisional.")
@click.option("--as-published", is_flag=True,
              help="Read the records as of the newest scoring protocol among them (a track published under an "
                   "older protocol, as it was published), not today's; records older still stay left out.")
def frontier(results_dir: Path, x: str, levels: str | None, fmt: str, brief: bool, output: Path | None,
             plot_path: Path | None, config: Path | None, as_published: bool) -> None:
    """Each method's accuracy–sparsity frontier over its sweep points, per corpus, backbone and mode kind:
    the frontier points, the area it dominates and its accuracy at matched sparsity (docs/frontiers.md)."""
    from bench.cli.records import current_records
    from bench.errors import UserError
    from bench.report.frontier import collect, frontier_frame, render_markdown
    from bench.store.results import atomic_write_text

    matched = _levels(levels)
    if plot_path is not None:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise UserError("bench frontier --plot needs matplotlib: pip install 'sparsebench[plot]'") from None
    declared = _declared(config) if config is not None else None
    panels = collect(current_records(results_dir, as_published))
    table = frontier_frame(panels, x, matched, declared).to_csv(index=False, float_format="%.6g") if fmt == "csv" \
        else render_markdown(panels, x, matched, brief=brief, declared=declared)
    click.echo(table)
    if output:
        atomic_write_text(output, table + "\n")
        click.echo(f"written to {output}", err=True)
    if plot_path is not None:
        from bench.report.plots import plot_frontiers

        click.echo(f"wrote {plot_frontiers(panels, x, plot_path, declared)}", err=True)


def _declared(config: Path) -> dict[tuple[str, str, str], int]:
    """The sweep points per method, corpus and mode kind that an experiment file declares (its cells expanded
    as ``bench run --config`` expands them; its further frontier seeds are seeds, not points)."""
    from bench.config.experiment import load_experiment
    from bench.report.frontier import declared_points
    from bench.run.expand import Grid, expand
    from methods.registry import get_method

    def kinds(method: str) -> list[str]:
        ident = get_method(method).identity
        if ident is None:
            return ["deterministic", "stochastic"]
        stochastic = set(ident.stochastic_modes)
        return [k for k, has in (("deterministic", any(m not in stochastic for m in ident.modes)),
                                 ("stochastic", bool(stochastic))) if has]

    return declared_points((cell.spec for cell in expand(Grid.of_experiment(load_experiment(config)))), kinds)
