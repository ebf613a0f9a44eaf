"""``bench run``: the grid method × corpus × seed × sweep, resumed from the store, ending with a leaderboard."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from bench.cli.options import comma_list, parse_seeds


@click.command()
@click.option("--methods", "-m", default=None, help="Comma-separated method names (bench list methods). [default: vae]")
@click.option("--corpora", "-c", default=None, help="Comma-separated corpus names (bench list corpora). [default: synthetic]")
@click.option("--preset", "-p", default=None, help="Sizes and epochs: smoke, cpu or paper. [default: smoke]")
@click.option("--seeds", default=None, help="A number of seeds (3 → 0,1,2) or a comma list. [default: 1]")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a training field or hyperparameter (epochs=3, latent_dim=16, vae.beta=0.5). Repeatable.")
@click.option("--grid", "grids", multiple=True, metavar="KEY=V1,V2",
              help="Sweep a field over values (Cartesian product over --grid options). Repeatable.")
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
@click.option("--results-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("results"),
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
@click.option("--backend", type=click.Choice(["local", "dask"]), default="local", show_default=True)
@click.option("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (--backend dask).")
@click.option("-v", "--verbose", is_flag=True, help="Print per-epoch losses.")
def run(methods, corpora, preset, seeds, sets, grids, config, train_split, backbone, encoder, resume, retry_failed,
        results_dir, data_dir, jobs, devices, per_device, threads, backend, scheduler, verbose) -> None:
    """Train and evaluate each method on each corpus for each seed and grid point, then print the leaderboard.

    Finished cells are reused from the store (see --resume), so rerunning a command after a crash or a
    kill only runs what is missing.  A failed cell is recorded with its error; the others go on, and the
    exit code is 1 if any cell failed.
    """
    from bench.config import parse_overrides
    from bench.errors import UserError
    from bench.experiment import Experiment, load_experiment
    from bench.grid import parse_grid
    from bench.leaderboard import render
    from bench.runner import expand, run_all
    from bench.store import Store

    exp = load_experiment(config) if config else Experiment()
    overrides = parse_overrides([*(f"{k}={v}" for k, v in exp.sets.items()), *sets,
                                 *([f"backbone={backbone}"] if backbone else [])])
    grid = {**exp.grid, **parse_grid(grids)}
    specs = expand(comma_list(methods, "methods") if methods else exp.methods,
                   comma_list(corpora, "corpora") if corpora else exp.corpora,
                   parse_seeds(seeds) if seeds else exp.seeds, preset or exp.preset, overrides,
                   train_split or exp.train_split, grid, encoder or "", exp.variants)
    if backend == "dask" and not scheduler:
        raise UserError("--backend dask needs --scheduler tcp://HOST:PORT (start one with `dask scheduler`)")
    if scheduler and backend != "dask":
        raise UserError("--scheduler is only used with --backend dask")
    executor = _executor(backend, scheduler, jobs, devices, per_device, threads)
    store = Store(results_dir)
    click.echo(f"{len(specs)} cells; records in {store.runs}")
    summary = run_all(specs, store, executor, resume=resume, retry_failed=retry_failed,
                      corpus_options={"data_dir": data_dir}, echo=click.echo, verbose=verbose)
    table = render([o.record for o in summary.outcomes if o.record is not None])
    if table:
        click.echo("")
        click.echo(table)
    click.echo("\n" + summary.line(store))
    if summary.failed:
        click.echo(f"{len(summary.failed)} cell(s) failed; see their log.txt and record.json", err=True)
        sys.exit(1)


def _executor(backend: str, scheduler: str | None, jobs: int, devices: str | None, per_device: int,
              threads: int | None = None):
    from bench.executors import DaskExecutor, InProcessExecutor, SubprocessExecutor
    from bench.slots import SlotAllocator, parse_devices

    if backend == "dask":
        return DaskExecutor(scheduler)
    visible = 0
    if not os.environ.get("SPARSEBENCH_IGNORE_GPUS") and (devices is None or "cuda" in devices):
        import torch

        visible = torch.cuda.device_count()
    names = parse_devices(devices, visible)
    if names == ["cpu"] and jobs == 1:
        return InProcessExecutor("cpu", threads=threads)
    return SubprocessExecutor(SlotAllocator(names, per_device, cpu_slots=jobs), threads=threads)
