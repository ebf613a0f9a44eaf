"""``bench run``: the grid method × corpus × seed × sweep, resumed from the store, ending with a leaderboard."""
from __future__ import annotations

import functools
import signal
import sys
import threading
from pathlib import Path

import click

from bench.cli.options import FolderPath, comma_list, parse_seeds
from bench.presets import PRESETS


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
@click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="An experiment TOML (see experiments/paper.toml); explicit options win.")
@click.option("--train-split", default=None, help="Split to train on (e.g. valid when train is absent). [default: train]")
@click.option("--backbone", type=click.Choice(["text", "embedding"]), default=None,
              help="text: the papers' GRU autoencoder; embedding: a frozen sentence encoder (needs --encoder). [default: text]")
@click.option("--encoder", default=None,
              help="Frozen sentence encoder of the embedding backbone: a name (all-MiniLM-L6-v2) or a local folder.")
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
@click.option("--backend", default="local", show_default=True,
              help="Where cells run: local (this process, or worker processes with --jobs/--devices), dask, "
                   "or an installed executor plugin (entry-point group sparsebench.executors).")
@click.option("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (--backend dask).")
@click.option("--backend-option", "backend_options", multiple=True, metavar="KEY=VALUE",
              help="A setting of an executor plugin (e.g. partition=gpu). Repeatable.")
@click.option("-v", "--verbose", is_flag=True, help="Print per-epoch losses.")
@_exit_130_on_interrupt
def run(methods, corpora, preset, seeds, sets, grids, sweep, config, train_split, backbone, encoder, resume, retry_failed,
        references, results_dir, data_dir, jobs, devices, per_device, threads, backend, scheduler, backend_options,
        verbose) -> None:
    """Train and evaluate each method on each corpus for each seed and grid (or sweep) point, then print the leaderboard.

    Finished cells are reused from the store (see --resume), so rerunning a command after a crash or a
    kill only runs what is missing.  A failed cell is recorded with its error; the others go on, and the
    exit code is 1 if any cell failed, 2 for bad input (before anything trains), 130 when interrupted (143 on SIGTERM).
    """
    from bench.backends import ExecutorSettings, make_executor
    from bench.config import parse_overrides
    from bench.experiment import Experiment, load_experiment
    from bench.grid import budget_note, parse_grid
    from bench.leaderboard import render
    from bench.runner import expand, run_all, run_references
    from bench.store import Store

    exp = load_experiment(config) if config else Experiment()
    overrides = parse_overrides([*(f"{k}={v}" for k, v in exp.sets.items()), *sets,
                                 *([f"backbone={backbone}"] if backbone else [])])
    grid = {**exp.grid, **parse_grid(grids)}
    swept = exp.sweep if sweep is None else sweep
    # `is not None`: an empty --methods "" is a mistake to report, not a request for the default
    specs = expand(comma_list(methods, "methods") if methods is not None else exp.methods,
                   comma_list(corpora, "corpora") if corpora is not None else exp.corpora,
                   parse_seeds(seeds) if seeds is not None else exp.seeds,
                   preset if preset is not None else exp.preset, overrides,
                   train_split if train_split is not None else exp.train_split, grid, encoder or "", exp.variants,
                   sweep=swept)
    note = budget_note(sorted({s.method for s in specs})) if swept else None
    if note:
        click.echo(note)
    executor = make_executor(backend, ExecutorSettings(jobs, devices, per_device, threads, scheduler,
                                                       parse_backend_options(backend_options)))
    store = Store(results_dir)
    summary = run_all(specs, store, executor, resume=resume, retry_failed=retry_failed,
                      corpus_options={"data_dir": data_dir}, echo=click.echo, verbose=verbose)
    refs = run_references(specs, store, resume=resume, corpus_options={"data_dir": data_dir}, echo=click.echo,
                          verbose=verbose, threads=threads) if references else None
    table = render([o.record for o in summary.outcomes if o.record is not None] + (refs.records if refs else []),
                   notes=True)
    if table:
        click.echo("")
        click.echo(table)
    click.echo("\n" + summary.line(store) + (f"; {refs.line()}" if refs else ""))
    if summary.failed:
        click.echo(f"{len(summary.failed)} cell(s) failed; see their log.txt and record.json", err=True)
        sys.exit(1)
    if refs and refs.failed:
        click.echo(f"{len(refs.failed)} reference(s) failed (not stored; the next run tries again)", err=True)
        sys.exit(1)


def parse_backend_options(items) -> dict[str, str]:
    from bench.errors import UserError

    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"malformed --backend-option {item!r}: expected KEY=VALUE, e.g. --backend-option partition=gpu")
        out[key.strip()] = value.strip()
    return out
