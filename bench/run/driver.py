"""The driver: plan → execute → store, one path for every cell, method or reference.

Only the driver writes records and weights, so a cell can run in this process, in a worker process
or on a cluster.  :func:`plan` splits cells into those settled from the store and those to run;
an executor runs the rest (:mod:`bench.run.executors`); :func:`store_result` writes each result as
it comes back.  Resume modes (MTEB's): ``missing`` reuses every finished cell (a failed one is
reported as failed until ``--retry-failed``) and every stored model (a cell whose training identity
has weights in the store is re-scored, not retrained), ``always`` recomputes everything,
``cache-only`` never trains (it still re-scores stored models).  A cell that trains nothing (a
reference row) is always cheap to compute: it is computed under ``cache-only`` too, recomputed when
it was scored by other scorers, and its failure is reported, not stored, so the next run tries again.
A damaged record is never reused: its cell runs again.
"""
from __future__ import annotations

import os
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from bench.cells.method import MethodCell
from bench.cells.protocol import Cell, CellResult
from bench.errors import UserError
from bench.run.executors import CellTask, Executor
from bench.run.expand import check_data, preflight
from bench.store.locks import CellLocks
from bench.store.provenance import drift_note
from bench.store.record import Record
from bench.store.results import Store

if TYPE_CHECKING:
    from bench.run.estimate import Estimate

RESUME_MODES = ("missing", "always", "cache-only")


@dataclass(frozen=True)
class RunOptions:
    """How a run treats the store and what it prints (``bench run``'s options beside the grid)."""

    resume: str = "missing"
    retry_failed: bool = False
    #: also compute (or reuse) the reference rows beside the cells (:mod:`bench.cells.reference`)
    references: bool = True
    #: corpus loader options (``data_dir``, ``cache_dir``), passed to every cell
    corpus_options: Mapping[str, Any] = field(default_factory=dict)
    verbose: bool = False
    #: the cells bar: None shows it on a terminal
    progress: bool | None = None
    echo: Callable[[str], None] = print
    #: cells at once (``--jobs``), for the time estimate said before the run starts
    concurrency: int = 1


@dataclass
class Outcome:
    cell: Cell
    record: Record | None
    status: str  # "ok", "rescored", "failed", "cached", "cached-failed", "missing"


@dataclass
class Summary:
    outcomes: list[Outcome] = field(default_factory=list)
    #: whether the run asked for reference rows (its summary line then counts them)
    references: bool = False

    def of(self, trains: bool) -> list[Outcome]:
        return [o for o in self.outcomes if o.cell.trains == trains]

    def count(self, *statuses: str, trains: bool = True) -> int:
        return sum(o.status in statuses for o in self.of(trains))

    @property
    def failed(self) -> list[Outcome]:
        """Failed cells (references apart: :attr:`failed_references`)."""
        return [o for o in self.of(True) if o.status in ("failed", "cached-failed")]

    @property
    def failed_references(self) -> list[Outcome]:
        return [o for o in self.of(False) if o.status == "failed"]

    @property
    def records(self) -> list[dict[str, Any]]:
        """Every successful or failed record of the run (cells, then references), as stored."""
        return [o.record.to_json() for o in self.of(True) + self.of(False) if o.record is not None and
                (o.cell.trains or o.record.ok)]

    def line(self, store: Store) -> str:
        text = (f"{self.count('ok')} trained, {self.count('rescored')} rescored, {self.count('cached')} cached, "
                f"{self.count('failed', 'cached-failed')} failed, {self.count('missing')} missing; "
                f"records in {store.runs}")
        return text + (f"; {self.references_line()}" if self.references else "")

    def references_line(self) -> str:
        text = f"references: {self.count('ok', trains=False)} computed, {self.count('cached', trains=False)} cached"
        return text + (f", {len(self.failed_references)} failed" if self.failed_references else "")


@dataclass
class Plan:
    settled: list[Outcome] = field(default_factory=list)
    #: (cell, stored weights to re-score or None to compute)
    to_run: list[tuple[Cell, Path | None]] = field(default_factory=list)
    #: damaged records found on the way: (cell, path, why); their cells are in ``to_run``
    damaged: list[tuple[Cell, Path, str]] = field(default_factory=list)
    #: stored weights that fail their checksum: (cell, path, why); their cells train again
    damaged_weights: list[tuple[Cell, Path, str]] = field(default_factory=list)


def plan(cells: Sequence[Cell], store: Store, resume: str, retry_failed: bool) -> Plan:
    """Split cells into those settled from the store, those to re-score and those to compute.

    Stored weights are used only when they pass their checksum (:meth:`Store.weights_problem`); damaged
    ones are listed and their cells train again, ``--retry-failed`` or not."""
    if resume not in RESUME_MODES:
        raise UserError(f"unknown resume mode {resume!r}; valid: {', '.join(RESUME_MODES)}")
    from tasks.metrics import scorer_signature

    signature = scorer_signature()
    out = Plan()
    problems: dict[str, str | None] = {}

    def usable(cell: Cell, weights: Path | None) -> Path | None:
        if weights is None or not cell.model_dirname:
            return weights
        if cell.model_dirname not in problems:
            problems[cell.model_dirname] = store.weights_problem(cell.model_dirname)
            if problems[cell.model_dirname] is not None:
                out.damaged_weights.append((cell, weights, problems[cell.model_dirname]))
        return None if problems[cell.model_dirname] else weights

    for cell in cells:
        existing, why = store.read(cell.dirname)
        if why is not None:
            out.damaged.append((cell, store.cell_dir(cell.dirname), why))
        stored = store.weights_path(cell.model_dirname) if cell.model_dirname else None
        if resume != "always" and existing is not None:
            if existing.ok:
                if existing.scorers == signature or (cell.trains and stored is None):
                    out.settled.append(Outcome(cell, existing, "cached"))
                else:  # a metric was added or removed: re-score (keeping the model), or compute again
                    out.to_run.append((cell, usable(cell, stored)))
                continue
            if not retry_failed:
                out.settled.append(Outcome(cell, existing, "cached-failed"))
                continue
        weights = None if resume == "always" else usable(cell, stored)
        if resume == "cache-only" and cell.trains and weights is None:
            out.settled.append(Outcome(cell, existing, "missing"))
            continue
        out.to_run.append((cell, weights))
    return out


def run_all(cells: Sequence[Cell], store: Store, executor: Executor, options: RunOptions = RunOptions()) -> Summary:
    """Plan, execute and store ``cells`` (and, with ``options.references``, the reference rows beside the
    method cells among them).

    Each cell to train is locked first, for the whole run (:class:`bench.store.locks.CellLocks`); a cell
    another run holds is left for last, waited for, and planned again from the store, so it is reused,
    not trained twice."""
    echo = options.echo
    check_results_dir(store)
    p = _checked_plan(cells, store, options)
    echo(f"{sum(c.trains for c in cells)} cells; records in {store.runs}")  # after every check: bad input prints only its error
    _report_damage(p, echo)
    summary = Summary(list(p.settled), options.references)
    _report_settled(summary, p.settled, store, options)
    if not p.to_run:
        return summary
    trained = sum(c.trains for c, _ in p.to_run)
    echo(_estimate(p.to_run, store, options).line(trained, len(p.to_run) - trained, options.concurrency))
    locks = CellLocks(store.locks)
    try:
        # Cells that train are locked (a reference row costs seconds: computing it twice is cheaper than a wait)
        mine = [(c, w) for c, w in p.to_run if not c.trains or locks.try_take(c.dirname)]
        busy = [c for c, _ in p.to_run if c.trains and c.dirname not in locks.held]
        _execute(mine, store, executor, options, summary, locks)
        if busy:  # another bench run on this folder computes them: wait for it, then reuse what it stored
            echo(f"{len(busy)} cell(s) are being computed by another bench run on {store.root}: waiting for them, "
                 "to reuse their results instead of computing them twice")
            for cell in busy:
                locks.take(cell.dirname)
            again = plan(busy, store, "missing" if options.resume == "always" else options.resume, options.retry_failed)
            summary.outcomes += again.settled
            _report_settled(summary, again.settled, store, options)
            _execute(again.to_run, store, executor, options, summary, locks)
    finally:
        locks.release()
    return summary


def _checked_plan(cells: Sequence[Cell], store: Store, options: RunOptions) -> Plan:
    """:func:`plan` for ``cells`` and, with ``options.references``, their reference rows, after the checks
    that refuse bad input before anything trains (the corpus files, each method's toy batch)."""
    p = plan(cells, store, options.resume, options.retry_failed)
    check_data([c for c, _ in p.to_run if isinstance(c, MethodCell)], options.corpus_options.get("data_dir"))
    preflight([c for c, _ in p.to_run if isinstance(c, MethodCell)])
    if options.references:
        from bench.cells.reference import Checksums, references_for

        refs = plan(references_for([c for c in cells if isinstance(c, MethodCell)], Checksums(options.corpus_options)),
                    store, options.resume, options.retry_failed)
        p.settled += refs.settled
        p.to_run += refs.to_run
        p.damaged += refs.damaged
        p.damaged_weights += refs.damaged_weights
    return p


def _report_damage(p: Plan, echo: Callable[[str], None]) -> None:
    for cell, path, why in p.damaged:
        echo(f"damaged {'' if cell.trains else 'reference '}record {path / 'record.json'} ({why}): "
             + ("its cell runs again" if cell.trains else "computed again"))
    for cell, path, why in p.damaged_weights:
        echo(f"damaged weights {path}: {why}; not used, {cell.describe()} trains again")


#: A dry run's fates: (the cell's line, the counts line's name), by the status :func:`plan` gives it or the
#: work left to do.
_FATE = {"cached": ("cached", "cached"),
         "cached-failed": ("failed earlier (--retry-failed reruns it)", "failed earlier"),
         "missing": ("skipped (--resume cache-only: no stored weights)", "skipped"),
         "train": ("train", "to train"), "re-score": ("re-score (weights kept)", "to re-score"),
         "compute": ("compute", "to compute")}
_BUSY = (" (another bench run on this folder is computing it)", " by another bench run")


def dry_run(cells: Sequence[Cell], store: Store, options: RunOptions = RunOptions()) -> list[str]:
    """What ``bench run`` would do with ``cells``, as lines: each cell trained, re-scored from its kept
    weights, or reused, then the counts and the time estimate.  Nothing is trained, scored or written.

    Why: a sweep costs core-days, and a typo in a ``--set`` or a protocol bump turns "re-score from the kept
    weights" into "train everything again"; a reader should see which before spending the hours."""
    check_results_dir(store, create=False)
    p = _checked_plan(cells, store, options)
    lines = [f"dry run: nothing is trained, scored or written; {sum(c.trains for c in cells)} cells; "
             f"records in {store.runs}"]
    _report_damage(p, lines.append)
    locks = CellLocks(store.locks)

    def pending(cell: Cell, weights: Path | None) -> tuple[str, str]:
        line, counted = _FATE[("re-score" if weights is not None else "train") if cell.trains else "compute"]
        if cell.trains and locks.held_elsewhere(cell.dirname):
            return line + _BUSY[0], counted + _BUSY[1]
        return line, counted

    fates = [(o.cell, _FATE[o.status]) for o in p.settled] + [(c, pending(c, w)) for c, w in p.to_run]
    for trains, head in ((True, "cells"), (False, "reference rows")):
        mine = [(c, fate) for c, fate in fates if c.trains == trains]
        if not mine:
            continue
        counts = ", ".join(f"{n} {label}" for label, n in Counter(counted for _, (_, counted) in mine).items())
        lines += ["", f"{head}: {counts}"]
        width = max(len(line) for _, (line, _) in mine)
        lines += [f"  {line:<{width}}  {c.describe()}  ({c.dirname})" for c, (line, _) in mine]
    if p.to_run:
        trained = sum(c.trains for c, _ in p.to_run)
        lines += ["", _estimate(p.to_run, store, options).line(trained, len(p.to_run) - trained, options.concurrency)]
    else:
        lines += ["", "nothing to run: every cell is in the store"]
    return lines


def _estimate(to_run: Sequence[tuple[Cell, Path | None]], store: Store, options: RunOptions) -> Estimate:
    """The time estimate of ``to_run`` (imported here: a plain run that reuses every cell never needs it)."""
    from bench.run.estimate import estimate, training_tokens

    return estimate(to_run, store.records(), training_tokens(options.corpus_options.get("data_dir")))


def _execute(to_run: Sequence[tuple[Cell, Path | None]], store: Store, executor: Executor, options: RunOptions,
             summary: Summary, locks: CellLocks) -> None:
    """Run ``to_run`` on the executor, storing each result as it comes and then dropping its cell's lock."""
    from tqdm import tqdm

    if not to_run:
        return
    tasks = [CellTask(c, dict(options.corpus_options), options.verbose, str(w) if w else None,
                      store.training_record(c.model_dirname) if w else None) for c, w in to_run]
    bar = tqdm(total=len(tasks), unit="cell", desc="cells",
               disable=None if options.progress is None else not options.progress, dynamic_ncols=True)
    say = bar.write if not bar.disable else options.echo
    executor.echo = say
    scratch = store.open_scratch()
    try:
        for cell, result in executor.run(tasks, scratch):
            summary.outcomes.append(store_result(store, cell, result, say))
            locks.release([cell.dirname])
            bar.update(1)
            bar.set_postfix(failed=summary.count("failed") + summary.count("failed", trains=False))
    finally:  # also on Ctrl-C: the executor has stopped its workers by now
        bar.close()
        shutil.rmtree(scratch, ignore_errors=True)


def _report_settled(summary: Summary, settled: list[Outcome], store: Store, options: RunOptions) -> None:
    """One line per reused cell (the count alone past ten, unless verbose; references only when verbose)."""
    many = sum(o.cell.trains for o in settled) > 10
    for o in settled:
        if o.status != "cached-failed" and not options.verbose and (many or not o.cell.trains):
            continue  # the summary line counts them
        where = store.cell_dir(o.cell.dirname)
        error = o.record.first_error_line() if o.record is not None else "?"
        msg = {"cached": "cached", "missing": "not in the store, skipped (--resume cache-only)",
               "cached-failed": f"failed earlier ({error}); --retry-failed reruns it"}[o.status]
        options.echo(f"{o.cell.describe()}: {msg} ({where})")
    note = drift_note([o.record.to_json() for o in settled if o.status == "cached" and o.record and o.cell.trains])
    if note:
        options.echo(note)


def store_result(store: Store, cell: Cell, result: CellResult, say: Callable[[str], None]) -> Outcome:
    """Write what a cell brought back: weights and encoding state under its training identity, the
    record and log under its cell id.  A failed cell that trains nothing is reported, not stored."""
    record = result.record
    if record.ok and result.weights is not None and cell.model_dirname:
        store.save_model(cell.model_dirname, result.weights, record.training or {})
    if record.ok and result.encoding and cell.model_dirname and store.weights_path(cell.model_dirname):
        store.save_encoding(cell.model_dirname, result.encoding)  # also for re-scored models saved without it
    if record.ok or cell.trains:
        store.save(cell.dirname, record, result.log)
    if not record.ok:
        where = f" (log: {store.cell_dir(cell.dirname)})" if cell.trains else ""
        say(f"{cell.describe()}: FAILED: {record.first_error_line()}{where}")
        return Outcome(cell, record, "failed")
    computed = ((record.provenance or {}).get("timing") or {}).get("embeddings_computed")
    apart = f" ({computed:.1f}s of it computing the frozen encoder's embeddings, cached for every cell)" if computed else ""
    say(f"{cell.describe()}: {'re-scored' if record.rescored else 'done'} in {record.wall_seconds or 0:.1f}s{apart}")
    return Outcome(cell, record, "rescored" if record.rescored else "ok")


def check_results_dir(store: Store, create: bool = True) -> None:
    """The results folder and its ``runs``, ``models`` and scratch folders can be created and written,
    checked before any cell starts.

    A read-only or impossible path (under a regular file, in ``/proc``, a ``runs`` that is a file) would
    otherwise fail only when the first record is written, after that cell's training, which would be lost.
    """
    from bench.store.results import folder_problem

    for folder in (store.root, store.runs, store.models, store.scratch, store.locks):
        if folder is not store.root and not os.path.lexists(folder):
            continue  # made when first written, in a folder just checked
        problem = folder_problem(folder, create)
        if problem is not None:
            raise UserError(f"--results-dir {store.root}: {problem}; choose a folder you can write, "
                            "e.g. --results-dir results")
