"""The driver: expands the grid into cells, reuses finished ones, runs the rest somewhere, writes the store.

Only the driver writes records and weights, so a cell can run in this process, in a worker process
or on a cluster.  Resume modes (MTEB's): ``missing`` reuses every finished cell (a failed one is
reported as failed until ``--retry-failed``) and every stored model (a cell whose training identity
has weights in the store is re-scored, not retrained), ``always`` retrains everything,
``cache-only`` never trains (it still re-scores stored models).  A damaged record is never reused:
its cell runs again.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from bench.config import check_override_keys
from bench.errors import UserError
from bench.executors import CellTask, Executor
from bench.grid import check_sweep_conflicts, check_values, merge, points_for, sweep_points
from bench.provenance import drift_note
from bench.spec import RunSpec
from bench.store import Store
from bench.variants import Variant, lookup
from methods.registry import get_method
from tasks.corpora import corpus_info, load_corpus

RESUME_MODES = ("missing", "always", "cache-only")


def expand(methods: Sequence[str], corpora: Sequence[str], seeds: Sequence[int], preset: str,
           overrides: tuple[tuple[str, str], ...], train_split: str = "train",
           grid: dict[str, list[str]] | None = None, encoder: str = "",
           variants: dict[str, Variant] | None = None, sweep: bool = False) -> list[RunSpec]:
    """All cells, validated up front: a typo anywhere fails before anything trains.

    ``train_split`` may not be ``test``: the probes and every score are read on the test split, so a
    model (and the probes) trained on it would be scored on what they were fitted to.

    ``methods`` may name variants (built-in or from ``variants``): a method plus fixed settings.
    ``sweep``: each method runs every point of its declared sweep (``bench list methods``), each
    point a cell of its own (combined with the seeds and any ``--grid`` points).
    """
    if train_split == "test":
        raise UserError("--train-split test: every score is read on the test split, so training on it would score "
                        "the models on the sentences they were trained on; use train, or valid where train is absent")
    named = {m: lookup(m, variants) for m in methods}
    if sweep:
        fixed = [m for m, v in named.items() if v]
        if fixed:
            v = named[fixed[0]]
            raise UserError(f"--sweep: {fixed[0]!r} is a variant (a fixed configuration of {v.method}) and is not "
                            f"swept; name its method instead (--methods {v.method}): its declared sweep is "
                            "listed by `bench list methods`")
    real = {m: (v.method if v else m) for m, v in named.items()}
    entries = {r: get_method(r) for r in real.values()}
    for c in corpora:
        corpus_info(c)
    configs = {m: (e.config or e.load().Config) for m, e in entries.items()}
    grid = grid or {}
    check_override_keys(overrides + tuple((k, v[0]) for k, v in grid.items())
                        + tuple(kv for v in named.values() if v for kv in v.overrides()), configs)
    check_values(grid, configs)
    swept = {}
    for m in methods:
        if sweep:
            check_sweep_conflicts(real[m], configs[real[m]], overrides, grid)
        swept[m] = sweep_points(real[m], configs[real[m]]) if sweep else [("", ())]
    specs = []
    for c in corpora:
        for m in methods:
            method, variant = real[m], named[m]
            for _, declared in swept[m]:
                for point in points_for(method, configs[method], grid):
                    cell = merge(merge(merge(overrides, point), declared), variant.overrides() if variant else ())
                    for s in seeds:
                        specs.append(RunSpec(method, c, s, preset, cell, train_split, encoder,
                                             variant.name if variant else ""))
    for spec in specs:
        spec.cell_id  # resolves the config: bad values fail here
    return list(dict.fromkeys(specs))


def check_data(specs: Sequence[RunSpec], data_dir: Any) -> None:
    """Every split a cell will read must be on disk before anything trains (workers would only fail later).

    Every missing split of every corpus is named in one message: a user asking for ``yelp,yahoo`` on a
    fresh machine learns in one try what to fetch, not one corpus per attempt.
    """
    from tasks.corpora.datadir import describe_data_dir
    from tasks.errors import CorpusError

    needed: dict[str, dict[str, None]] = {}  # insertion-ordered: a training split before "test"
    for spec in specs:
        needed.setdefault(spec.corpus, {}).update(dict.fromkeys((spec.train_split, "test")))
    missing: dict[str, list[str]] = {}
    errors: list[CorpusError] = []
    for corpus, splits in sorted(needed.items()):
        info = corpus_info(corpus)
        if info.present is not None:
            have = set(info.present(data_dir))
            for split in [s for s in splits if s not in have]:
                try:
                    load_corpus(corpus, data_dir=data_dir, splits=(split,))
                except CorpusError as exc:
                    errors.append(exc)
                missing.setdefault(corpus, []).append(split)
    if len(errors) == 1 and sum(map(len, missing.values())) == 1:
        raise errors[0]  # one split of one corpus: the loader's own message, naming the file
    if missing:
        raise UserError(missing_data_message(missing, data_dir, describe_data_dir(data_dir)))
    for corpus, splits in sorted(needed.items()):
        check_classes(corpus, corpus_info(corpus), list(splits), data_dir)


def missing_data_message(missing: dict[str, list[str]], data_dir: Any, where: str) -> str:
    """One line naming every missing split and the command(s) that fetch them."""
    parts = [f"{corpus} ({', '.join(splits)})" for corpus, splits in sorted(missing.items())]
    flag = f" --data-dir {data_dir}" if data_dir else ""
    fetch = "; ".join(f"bench data download {c}{flag}" for c in sorted(missing))
    train_only = any(splits == ["train"] or splits[:1] == ["train"] for splits in missing.values())
    return (f"missing corpus files in the data folder {where}: {', '.join(parts)}; fetch them with `{fetch}`"
            + (", or train on a split that is present with --train-split valid" if train_only else "")
            + " (or point --data-dir at a folder that holds them)")


def check_classes(corpus: str, info: Any, splits: Sequence[str], data_dir: Any) -> None:
    """A probe needs two classes: refuse a corpus with fewer before training, not after it.

    Built-in corpora declare their classes; a user file is read here once (its cells would read it
    anyway) and the labels of each training split counted: the probes fit on those.
    """
    from tasks.corpora import is_user_corpus

    if info.class_names and len(info.class_names) >= 2:
        return
    where = f"the file {corpus}" if is_user_corpus(corpus) else f"corpus {corpus!r} ({info.origin})"
    if info.class_names:
        raise UserError(f"{where} declares {len(info.class_names)} class ({info.class_names[0]!r}); "
                        "the probes and class analyses need at least 2 labelled classes")
    if not is_user_corpus(corpus):
        return  # a plugin without declared classes: its loader is its author's to check
    train = tuple(s for s in splits if s != "test") or tuple(splits)  # the probes fit on the training split
    data = load_corpus(corpus, data_dir=data_dir, splits=train)
    for split in train:
        labels = data.split(split).labels
        n = len(set(labels.tolist()))
        if n < 2:
            names = sorted({data.class_names[i] for i in set(labels.tolist())}) if len(labels) else []
            raise UserError(f"{where} has {n} class in its {split} split"
                            + (f" (every label is {names[0]!r})" if names else "")
                            + "; the probes and class analyses need at least 2 labelled classes: "
                            "check its label column")


def preflight(specs: Sequence[RunSpec]) -> None:
    """Each selected method, with its resolved config, encodes a tiny toy batch before anything trains.

    A plugin whose codes have the wrong shape (or whose loss does not run) fails here in seconds, with
    the conformance suite's message, instead of after a full training run.
    """
    from methods.conformance import Checks, ConformanceError, toy_data

    seen = set()
    for spec in specs:
        cfg = spec.config["method_config"]
        key = (spec.method, tuple(sorted(cfg.items())))
        if key in seen:
            continue
        seen.add(key)
        entry = get_method(spec.method)
        checks = Checks(entry.load(), toy_data(0, n_batches=1, batch_size=4), config_overrides=cfg,
                        backbone=cfg.get("backbone", "text"))
        try:
            checks.check_shapes()
        except ConformanceError as exc:
            raise UserError(f"method {spec.method!r} ({entry.origin}) fails the interface check before training: "
                            f"{exc}; run `bench check-plugin {spec.method}` for every check") from None


@dataclass
class Outcome:
    spec: RunSpec
    record: dict[str, Any] | None
    status: str  # "ok", "rescored", "failed", "cached", "cached-failed", "missing"


@dataclass
class Summary:
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, *statuses: str) -> int:
        return sum(o.status in statuses for o in self.outcomes)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status in ("failed", "cached-failed")]

    def line(self, store: Store) -> str:
        return (f"{self.count('ok')} trained, {self.count('rescored')} rescored, {self.count('cached')} cached, "
                f"{self.count('failed', 'cached-failed')} failed, {self.count('missing')} missing; "
                f"records in {store.runs}")


@dataclass
class Plan:
    settled: list[Outcome] = field(default_factory=list)
    #: (spec, stored weights to re-score or None to train)
    to_run: list[tuple[RunSpec, Path | None]] = field(default_factory=list)
    #: damaged records found on the way: (path, why); their cells are in ``to_run``
    damaged: list[tuple[Path, str]] = field(default_factory=list)


def plan(specs: Sequence[RunSpec], store: Store, resume: str, retry_failed: bool) -> Plan:
    """Split cells into those settled from the store, those to re-score and those to train."""
    if resume not in RESUME_MODES:
        raise UserError(f"unknown resume mode {resume!r}; valid: {', '.join(RESUME_MODES)}")
    from tasks.metrics import scorer_signature

    signature = scorer_signature()
    out = Plan()
    for spec in specs:
        existing, why = store.read(spec.dirname)
        if why is not None:
            out.damaged.append((store.cell_dir(spec.dirname), why))
        if resume != "always" and existing is not None:
            if existing.get("status") == "ok":
                weights = store.weights_path(spec.model_dirname)
                if existing.get("scorers") != signature and weights is not None:
                    out.to_run.append((spec, weights))  # a metric was added or removed: re-score, keep the model
                else:
                    out.settled.append(Outcome(spec, existing, "cached"))
                continue
            if not retry_failed:
                out.settled.append(Outcome(spec, existing, "cached-failed"))
                continue
        weights = None if resume == "always" else store.weights_path(spec.model_dirname)
        if resume == "cache-only" and weights is None:
            out.settled.append(Outcome(spec, existing, "missing"))
            continue
        out.to_run.append((spec, weights))
    return out


def run_all(specs: Sequence[RunSpec], store: Store, executor: Executor, *, resume: str = "missing",
            retry_failed: bool = False, corpus_options: dict[str, Any] | None = None,
            echo: Callable[[str], None] = print, verbose: bool = False, progress: bool | None = None) -> Summary:
    from tqdm import tqdm

    check_results_dir(store)
    p = plan(specs, store, resume, retry_failed)
    settled = p.settled
    check_data([s for s, _ in p.to_run], (corpus_options or {}).get("data_dir"))
    preflight([s for s, _ in p.to_run])
    echo(f"{len(specs)} cells; records in {store.runs}")  # after every check: bad input prints only its error
    for path, why in p.damaged:
        echo(f"damaged record {path / 'record.json'} ({why}): its cell runs again")
    summary = Summary(list(settled))
    for o in settled:
        if o.status != "cached-failed" and not verbose and len(settled) > 10:
            continue  # the summary line counts them
        where = store.cell_dir(o.spec.dirname)
        msg = {"cached": "cached", "missing": "not in the store, skipped (--resume cache-only)",
               "cached-failed": f"failed earlier ({(o.record or {}).get('error', '?').splitlines()[0]}); "
                                "--retry-failed reruns it"}[o.status]
        echo(f"{o.spec.describe()}: {msg} ({where})")
    note = drift_note([o.record for o in settled if o.status == "cached" and o.record])
    if note:
        echo(note)
    if not p.to_run:
        return summary
    tasks = [CellTask(s, corpus_options or {}, verbose, str(w) if w else None,
                      store.training_record(s.model_dirname) if w else None) for s, w in p.to_run]
    bar = tqdm(total=len(tasks), unit="cell", desc="cells", disable=None if progress is None else not progress,
               dynamic_ncols=True)
    say = bar.write if not bar.disable else echo
    executor.echo = say
    scratch = store.open_scratch()
    try:
        for spec, record in executor.run(tasks, scratch):
            log = record.pop("log", "")
            weights = record.pop("_weights", None)
            encoding = record.pop("_encoding", None)
            if weights is not None and record.get("status") == "ok":
                store.save_model(spec.model_dirname, weights, record["training"])
            if encoding and record.get("status") == "ok" and store.weights_path(spec.model_dirname):
                store.save_encoding(spec.model_dirname, encoding)  # also for re-scored models saved without it
            store.save(spec.dirname, record, log)
            status = record["status"]
            if status == "failed":
                say(f"{spec.describe()}: FAILED: {record['error'].splitlines()[0]} "
                    f"(log: {store.cell_dir(spec.dirname)})")
            else:
                rescored = record.get("provenance", {}).get("scoring", {}).get("rescored", False)
                status = "rescored" if rescored else status
                say(f"{spec.describe()}: {'re-scored' if rescored else 'done'} in "
                    f"{record.get('wall_seconds', 0):.1f}s")
            summary.outcomes.append(Outcome(spec, record, status))
            bar.update(1)
            bar.set_postfix(failed=summary.count("failed"))
    finally:  # also on Ctrl-C: the executor has stopped its workers by now
        bar.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return summary


def check_results_dir(store: Store) -> None:
    """The results folder can be created and written, checked before any cell starts.

    A read-only or impossible path (under a regular file, in ``/proc``) would otherwise fail only when
    the first record is written, after that cell's training, which would be lost.
    """
    root = store.root
    blocker = next((p for p in (root, *root.parents) if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise UserError(f"--results-dir {root}: {blocker} is a file, not a folder; choose another --results-dir")
    folder = root
    try:
        root.mkdir(parents=True, exist_ok=True)
        for folder in (root, *(p for p in (store.runs, store.models, store.scratch) if p.is_dir())):
            fd, probe = tempfile.mkstemp(dir=folder, prefix=".write-test-")
            try:
                os.write(fd, b"ok")
            finally:
                os.close(fd)
                os.unlink(probe)
    except OSError as exc:
        raise UserError(f"--results-dir {root}: {folder} cannot be written ({exc.strerror or exc}); "
                        "choose a folder you can write, e.g. --results-dir results") from None


def run_references(specs: Sequence[RunSpec], store: Store, *, resume: str = "missing",
                   corpus_options: dict[str, Any] | None = None, echo: Callable[[str], None] = print,
                   verbose: bool = False, threads: int | None = None):
    """The hook that schedules the reference rows of every corpus in ``specs`` after the cells
    (:mod:`bench.references`: computed in this process, cached in the store like cells)."""
    from bench.references import run_references as compute

    return compute(specs, store, resume=resume, corpus_options=corpus_options, echo=echo, verbose=verbose,
                   threads=threads)
