"""``bench run``: the grid method × corpus × seed × sweep, resumed from the store, ending with a leaderboard."""
from __future__ import annotations

import functools
import signal
import sys
import threading
from pathlib import Path

import click

from bench.cli.options import FolderPath, comma_list, parse_seed_list, parse_seeds
from bench.config.presets import PRESETS


def _raise_terminated(signum, frame) -> None:
    from bench.errors import Terminated

    raise Terminated


def _exit_130_on_interrupt(command):
    """Ctrl-C exits with 130 (128 + SIGINT, what shells report), not click's 1, which means "a cell failed";
    SIGTERM (a scheduler's stop) is unwound the same way and exits with 143 (128 + SIGTERM).

    The executors stop their workers and the driver removes its scratch on the way out (``finally``).
    """
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from bench.errors import Terminated

        in_main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, _raise_terminated) if in_main else None
        try:
            return command(*args, **kwargs)
        except (KeyboardInterrupt, Terminated) as stop:
            if in_main:  # a second signal must not cut the way out short
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
            what = "terminated (SIGTERM)" if isinstance(stop, Terminated) else "interrupted"
            click.echo(f"\n{what}: finished cells are kept; rerun the same command to go on", err=True)
            sys.exit(143 if isinstance(stop, Terminated) else 130)
        finally:
            if in_main and previous is not None and signal.getsignal(signal.SIGTERM) is _raise_terminated:
                signal.signal(signal.SIGTERM, previous)

    return wrapper


@click.command()
@click.option("--methods", "-m", default=None, help="Comma-separated method names (bench list methods). [default: vae]")
@click.option("--corpora", "-c", default=None, help="Comma-separated corpus names (bench list corpora). [default: synthetic]")
@click.option("--preset", "-p", default=None, help=f"Sizes and epochs: {', '.join(PRESETS)} (bench list presets). [default: smoke]")
@click.option("--seeds", default=None, help="A number of seeds (3 → 0,1,2) or a comma list. [default: 1]")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a training field or hyperparameter (epochs=3, latent_dim=16, vae.beta=0.5). Repeatable.")
@click.option("--grid", "grids", multiple=True, metavar="KEY=V1,V2",
              help="Sweep a field over values (Cartesian product over --grid options). Repeatable.")
@click.option("--sweep/--no-sweep", "sweep", default=None,
              help="Run every point of each method's declared sweep (bench list methods), each a cell of its own; "
                   "a --set/--grid key that a sweep sets is refused. [default: no, or the experiment's `sweep`]")
@click.option("--frontier-seeds", default=None, metavar="S1,S2",
              help="Also run these seeds, for the points that lie on a frontier of the stored records of --seeds "
                   "(either mode kind, either sparsity reading); points without a stored record wait. `none`: "
                   "no further seeds, whatever the experiment declares (run every first seed before any frontier "
                   "is read). [default: none, or the experiment's `frontier_seeds`]")
@click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="An experiment TOML (see experiments/paper.toml); explicit options win.")
@click.option("--train-split", default=None, help="Split to train on (e.g. valid when train is absent). [default: train]")
@click.option("--backbone", type=click.Choice(["text", "embedding"]), default=None,
              help="text: the papers' GRU autoencoder; embedding: a frozen sentence encoder (needs --encoder). [default: text]")
@click.option("--encoder", default=None,
              help="Frozen sentence encoder of the embedding backbone: a name (all-MiniLM-L6-v2) or a local folder; "
                   "the default of the `encoder` field (--set encoder=NAME, --grid encoder=A,B).")
@click.option("--resume", type=click.Choice(["missing", "always", "cache-only"]), default="missing", show_default=True,
              help="missing: reuse finished cells; always: rerun; cache-only: never train.")
@click.option("--retry-failed", is_flag=True, help="Rerun cells whose stored record is a failure.")
@click.option("--references/--no-references", default=True, show_default=True,
              help="Also score the non-learned reference rows of each corpus (tfidf, tfidf-svd, untrained; "
                   "embedding, embedding-pca on the embedding backbone), cached like cells.")
@click.option("--results-dir", type=FolderPath(), default=Path("results"),
              show_default=True, help="Where run records and tables go.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of corpus files (default: $SPARSEBENCH_DATA, else the per-user cache).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True,
              help="Cells at once on CPU, each in a fresh process (1: in this process).")
@click.option("--devices", default=None, help="cpu or cuda:0,cuda:1,... [default: all visible GPUs, else cpu]")
@click.option("--per-device", type=click.IntRange(min=1), default=1, show_default=True,
              help="Cells at once on each GPU.")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="Torch CPU threads per cell (also $SPARSEBENCH_THREADS). [default: usable cores ÷ --jobs, "
                   "less the cores other processes keep busy]")
@click.option("--executor", default=None,
              help="Where cells run: local (this process, or worker processes with --jobs/--devices), dask, "
                   "or an installed executor plugin (entry-point group sparsebench.executors). [default: local]")
@click.option("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (--executor dask).")
@click.option("--executor-option", "executor_options", multiple=True, metavar="KEY=VALUE",
              help="A setting of an executor plugin (e.g. partition=gpu). Repeatable.")
@click.option("--backend", default=None, hidden=True, help="Renamed --executor: refused with the new name.")
@click.option("--backend-option", "backend_options", multiple=True, hidden=True,
              help="Renamed --executor-option: refused with the new name.")
@click.option("--yes-large-grid", is_flag=True,
              help="Run a grid of more cells than a run starts without asking (bench.run.expand.LARGE_GRID: 500).")
@click.option("--dry-run", "-n", is_flag=True,
              help="List what the run would do (each cell trained, re-scored from kept weights, or reused; the "
                   "time estimate) after the same checks of the input, and exit: nothing is trained or written.")
@click.option("-v", "--verbose", is_flag=True, help="Print per-epoch losses.")
@_exit_130_on_interrupt
def run(**options) -> None:
    """Train and evaluate each method on each corpus for each seed and grid (or sweep) point, then print the leaderboard.

    Finished cells are reused from the store (see --resume), so rerunning a command after a crash or a
    kill only runs what is missing.  A failed cell is recorded with its error; the others go on, and the
    exit code is 1 if any cell failed, 2 for bad input (before anything trains), 130 when interrupted (143 on SIGTERM).
    """
    # Imports follow the checks they serve: a typo is refused before scikit-learn, scipy, pandas or torch load
    # (tests/benchmarks/test_refusal_speed.py measures it).
    from bench.run.expand import LARGE_GRID, expand

    grid = grid_of(options)
    cells = expand(grid, max_cells=None if options["yes_large_grid"] else LARGE_GRID)
    from bench.report.leaderboard import render
    from bench.run.driver import RunOptions, run_all
    from bench.store.results import Store

    note = budget_note_of(grid, cells)
    if note:
        click.echo(note)
    executor = executor_of(options)
    store = Store(options["results_dir"])
    first = cells
    if grid.frontier_seeds:
        cells = with_frontier_seeds(cells, store, grid.frontier_seeds)
    run_options = RunOptions(
        resume=options["resume"], retry_failed=options["retry_failed"], references=options["references"],
        corpus_options={"data_dir": options["data_dir"]}, verbose=options["verbose"], echo=click.echo,
        concurrency=options["jobs"])
    if options["dry_run"]:
        from bench.run.driver import dry_run

        click.echo("\n".join(dry_run(cells, store, run_options)))
        return
    summary = run_all(cells, store, executor, run_options)
    if grid.frontier_seeds:
        run_frontier_seeds_after(first, cells, store, grid.frontier_seeds, executor, run_options, summary)
    table = render(summary.records, notes=True)
    if table:
        click.echo("")
        click.echo(table)
    click.echo("\n" + summary.line(store))
    if summary.failed:
        click.echo(f"{len(summary.failed)} cell(s) failed; see their log.txt and record.json", err=True)
        sys.exit(1)
    if summary.failed_references:
        click.echo(f"{len(summary.failed_references)} reference(s) failed (not stored; the next run tries again)",
                   err=True)
        sys.exit(1)


def grid_of(options: dict):
    """The grid the options ask for: an experiment file's choices, with the options given explicitly winning."""
    from bench.config.experiment import Experiment, load_experiment
    from bench.config.grid import parse_grid
    from bench.run.expand import Grid

    exp = load_experiment(options["config"]) if options["config"] else Experiment()
    backbone = options["backbone"]

    def given(name: str, parse):
        # `is not None`: an empty --methods "" is a mistake to report, not a request for the default
        return parse(options[name]) if options[name] is not None else None

    return Grid.of_experiment(exp, sets=[*options["sets"], *([f"backbone={backbone}"] if backbone else [])],
                              grid=parse_grid(options["grids"]), encoder=options["encoder"] or "",
                              methods=given("methods", lambda v: comma_list(v, "methods")),
                              corpora=given("corpora", lambda v: comma_list(v, "corpora")),
                              seeds=given("seeds", parse_seeds), preset=given("preset", str),
                              train_split=given("train_split", str), sweep=options["sweep"],
                              frontier_seeds=given("frontier_seeds", frontier_seeds_of))


def frontier_seeds_of(value: str) -> tuple[int, ...]:
    """``1,2`` → those seeds; ``none`` → none, whatever the experiment file declares (first seeds first)."""
    return () if value.strip().lower() == "none" else tuple(parse_seed_list(value))


def frontier_seed_plan(cells: list, records, seeds):
    """The cells of ``seeds`` for the points of ``cells`` on a frontier drawn from their stored ``records``
    (today's protocols): the report room says which records lie on one, the run room makes the cells."""
    from bench.report.frontier import frontier_point_cells
    from bench.report.stale import current_successful
    from bench.run.frontier_seeds import frontier_seed_cells

    ids = {c.cell_id for c in cells}
    mine = [r for r in current_successful(records) if r.get("cell_id") in ids and not r.get("reference")]
    return frontier_seed_cells(cells, [r["cell_id"] for r in mine], frontier_point_cells(mine), seeds)


def with_frontier_seeds(cells: list, store, seeds) -> list:
    """``cells`` and the cells of ``seeds`` for the points on a frontier of their stored records (the line says
    how many points get them and how many do not); while a point waits for its first-seed record, ``cells``
    alone, the further seeds held back for :func:`run_frontier_seeds_after` (the line says so)."""
    extra = frontier_seed_plan(cells, store.scan().records, seeds)
    if extra.waiting:
        click.echo(extra.deferred_note(seeds))
        return cells
    click.echo(extra.note(seeds))
    return list(dict.fromkeys([*cells, *extra.cells]))


def run_frontier_seeds_after(first: list, ran: list, store, seeds, executor, run_options, summary) -> None:
    """After the run of ``ran``: the further seeds of the points on a frontier that it did not run, which are those
    :func:`with_frontier_seeds` held back while first seeds were missing, read now from every first seed the run
    stored (a point whose first seed failed stays off).  Adds to ``summary``."""
    from bench.run.driver import run_all

    plan, done = frontier_seed_plan(first, store.scan().records, seeds), set(ran)
    new = [c for c in plan.cells if c not in done]
    if new:
        click.echo(f"\n{plan.note(seeds)}; {len(new)} of those cell(s) run now")
        summary.outcomes += run_all(new, store, executor, run_options).outcomes


def budget_note_of(grid, cells) -> str | None:
    from bench.config.grid import budget_note

    return budget_note(sorted({c.spec.method for c in cells})) if grid.sweep else None


def executor_of(options: dict):
    """The executor ``--executor`` names, built from the options that say where cells run."""
    from bench.errors import UserError
    from bench.run.backends import ExecutorSettings, make_executor

    name, settings = options["executor"], parse_executor_options(options["executor_options"], "--executor-option")
    if options["backend"] is not None or options["backend_options"]:  # not an alias: click alone would suggest --backbone
        raise UserError("--backend was renamed --executor (it names where cells run, not the model's --backbone), and "
                        "--backend-option --executor-option: e.g. --executor local or --executor dask")
    return make_executor(name or "local", ExecutorSettings(options["jobs"], options["devices"], options["per_device"],
                                                          threads_of(options["threads"]), options["scheduler"],
                                                          settings))


def threads_of(requested: int | None) -> int | None:
    """``--threads`` (or ``$SPARSEBENCH_THREADS``) capped at the usable cores, with a one-line note.

    More torch threads than cores never helps: 1,000 asked for started 2,126 threads on 2 cores, and
    a 4-second cell had not finished after 142 s."""
    import os

    from bench.threads import cap_threads

    source = "--threads"
    env = os.environ.get("SPARSEBENCH_THREADS", "").strip()
    if requested is None and env.isdigit() and int(env) >= 1:
        requested, source = int(env), "SPARSEBENCH_THREADS"
    if requested is None:
        return None
    threads, note = cap_threads(requested, source)
    if note:
        click.echo(note, err=True)
    return threads


def parse_executor_options(items, option: str = "--executor-option") -> dict[str, str]:
    from bench.errors import UserError

    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"malformed {option} {item!r}: expected KEY=VALUE, e.g. {option} partition=gpu")
        out[key.strip()] = value.strip()
    return out
