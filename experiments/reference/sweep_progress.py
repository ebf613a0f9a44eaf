"""How far a published sweep has come: every cell its experiment file declares, committed or pending.

Why: the frontier sweeps take core-days, so they are published as they arrive.  A reader of a
half-finished track must see what is missing, and a completeness test must be able to fail; this
file is what both read.  ``PROGRESS.md`` beside the records is generated from the experiment file
and the committed records alone (the test regenerates it and compares), so it cannot go stale.

    python experiments/reference/sweep_progress.py results/reference/frontier-text \
        [--publish /path/to/the/sweep/results]

The experiment file of a published track is :data:`SWEEPS`'s (the one map from track to file, read by
``tables.sh`` and the tests); another folder names its file first: ``sweep_progress.py EXPERIMENT FOLDER``.

``--experiment-of FOLDER``: print the experiment file of a published track (what ``tables.sh`` passes to
``bench frontier --config``).

``--publish FROM``: first copy the finished records (record.json and log.txt, never weights) of today's
scoring protocol from the grid's results folder ``FROM`` into the track, and drop the track's records of
an older protocol (their re-scored versions replace them; git keeps the old ones).
"""
from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Iterable

from bench.config.experiment import load_experiment
from bench.run.estimate import estimate
from bench.run.expand import Grid, expand
from bench.cli.run import frontier_seed_plan
from tasks.scoring import SCORING_VERSION

PROGRESS = "PROGRESS.md"
#: The published sweeps: track folder under results/reference → the experiment file that declares its cells.
SWEEPS = {"frontier-text": "experiments/frontier.toml", "frontier-embedding": "experiments/frontier_embedding.toml"}
REPO = Path(__file__).resolve().parents[2]


def experiment_of(track: Path) -> Path:
    """The experiment file of a published track folder (by its name, :data:`SWEEPS`)."""
    if track.name not in SWEEPS:
        raise SystemExit(f"{track}: not a published sweep ({', '.join(SWEEPS)}); "
                         "name its experiment file first: sweep_progress.py EXPERIMENT FOLDER")
    return REPO / SWEEPS[track.name]


def _plan(experiment: Path, records: Iterable[dict]) -> tuple[list, Any, tuple[int, ...]]:
    """(the grid's cells, the frontier-seed plan or None, its seeds)."""
    grid = Grid.of_experiment(load_experiment(experiment))
    cells = expand(grid)
    plan = frontier_seed_plan(cells, list(records), grid.frontier_seeds) if grid.frontier_seeds else None
    return cells, plan, tuple(grid.frontier_seeds)


def declared(experiment: Path, records: Iterable[dict] = ()) -> list:
    """Every cell the experiment file declares: its grid, and with ``frontier_seeds`` the further seeds of the
    points on a frontier of ``records`` (the committed ones), as ``bench run`` adds them."""
    cells, plan, _ = _plan(experiment, records)
    return cells + (plan.cells if plan else [])


def declared_cells(experiment: Path, records: Iterable[dict] = ()) -> dict[str, str]:
    """{run folder name: one-line description} of :func:`declared`."""
    return _described(declared(experiment, records))


def _described(cells: list) -> dict[str, str]:
    return {cell.dirname: cell.describe() for cell in cells}


def committed(track: Path) -> tuple[dict[str, dict], dict[str, dict]]:
    """({run folder name: record} of the method cells, the same of the reference rows): the successful
    records of today's scoring protocol under ``track``, read once."""
    cells: dict[str, dict] = {}
    references: dict[str, dict] = {}
    for path in sorted((track / "runs").glob("*/record.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        if record.get("status") == "ok" and record.get("config", {}).get("scoring_protocol") == SCORING_VERSION:
            (references if "reference" in record else cells)[path.parent.name] = record
    return cells, references


def _cost(record: dict) -> float:
    """Seconds of one core a cell took: its training plus its (latest) scoring; a re-scored record's
    training time is the one of the run that trained its weights."""
    p = record.get("provenance", {})
    return float(p.get("train_seconds") or 0.0) + float(p.get("scoring", {}).get("eval_seconds") or 0.0)


def progress(experiment: Path, track: Path) -> str:
    """``PROGRESS.md``: counts per method and corpus, then every pending cell by name."""
    done, refs = committed(track)
    grid_cells, plan, seeds = _plan(experiment, done.values())
    by_name = {cell.dirname: cell for cell in grid_cells + (plan.cells if plan else [])}
    cells = _described(list(by_name.values()))
    extra = sorted(set(done) - set(cells))
    if extra:
        raise SystemExit(f"{track}: records that {experiment} does not declare: {', '.join(extra)}")
    pending = [name for name in cells if name not in done]
    hours = sum(_cost(r) for r in done.values()) / 3600
    left = estimate([(by_name[name], None) for name in pending], done.values())
    per = Counter((name.split("-seed")[0]) for name in cells)
    have = Counter((name.split("-seed")[0]) for name in done)
    shown = experiment.resolve().relative_to(REPO) if experiment.resolve().is_relative_to(REPO) else experiment
    lines = [f"# Progress of `{shown.as_posix()}` (generated by experiments/reference/sweep_progress.py)", "",
             f"{len(done)} of {len(cells)} cells committed (scoring protocol {SCORING_VERSION}); "
             f"{len(pending)} pending; {hours:.1f} core-hours {'so far' if pending else 'in all'} (training + scoring, one core per cell, on a shared 2-core machine)"
             + (f"; about {left.seconds / 3600:.1f} core-hours left for the pending cells ({left.source()})" if pending else "")
             + ".", "",
             *([f"Seeds {', '.join(map(str, seeds))} are declared for the points on a frontier of the committed "
                f"records (either mode kind, either sparsity reading; bench.run.frontier_seeds), so the count "
                f"grows as the first seed fills in: {plan.note(seeds)}.", ""] if plan else []),
             "| method-corpus | committed | declared |", "|---|---|---|"]
    lines += [f"| {key} | {have.get(key, 0)} | {n} |" for key, n in per.items()]
    lines += ["", f"Reference rows (made beside the cells of each corpus and seed): {len(refs)} committed"
              + (": " + ", ".join(f"`{name}`" for name in refs) if refs else "") + "."]
    if pending:
        lines += ["", "Pending cells:", ""] + [f"- `{name}`: {cells[name]}" for name in pending]
    return "\n".join(lines) + "\n"


def publish(source: Path, track: Path) -> None:
    """Copy ``source``'s current successful records into ``track``; drop ``track``'s records of older protocols."""
    import shutil

    for path in (track / "runs").glob("*/record.json"):
        if json.loads(path.read_text(encoding="utf-8")).get("config", {}).get("scoring_protocol") != SCORING_VERSION:
            shutil.rmtree(path.parent)
    cells, references = committed(source)
    for name in [*cells, *references]:
        target = track / "runs" / name
        target.mkdir(parents=True, exist_ok=True)
        for file in ("record.json", "log.txt"):
            if (source / "runs" / name / file).is_file():
                shutil.copy2(source / "runs" / name / file, target / file)


def main(argv: list[str]) -> None:
    if len(argv) == 2 and argv[0] == "--experiment-of":  # tables.sh: the experiment file beside a track's records
        print(experiment_of(Path(argv[1])))
        return
    if len(argv) >= 3 and argv[-2] == "--publish":
        publish(Path(argv[-1]), Path(argv[-3]))
        argv = argv[:-2]
    if len(argv) not in (1, 2):
        raise SystemExit(__doc__)
    track = Path(argv[-1])
    experiment = Path(argv[0]) if len(argv) == 2 else experiment_of(track)
    (track / PROGRESS).write_text(progress(experiment, track), encoding="utf-8")
    print((track / PROGRESS).read_text(encoding="utf-8").splitlines()[2])


if __name__ == "__main__":
    main(sys.argv[1:])
