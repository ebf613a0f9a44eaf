"""How long a run will take, said before it starts: from stored timings of similar cells, else a rough figure.

A similar cell is one of the same method (or reference), corpus and preset that was trained, not
re-scored, and finished; its median wall time stands for each cell of that kind.  Without one, the
median of the trained cells of other methods on the same corpus and preset stands in (a sweep's first
cells of a new method cost about what its neighbours did), and without those the preset's rough figure
per cell on CPU (:data:`ROUGH_SECONDS`, from this project's own runs on 2 cores).  The line says which.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

#: Seconds per trained cell on CPU, by preset (smoke: the tests' cells; reference: a Yahoo cell took 483 s on
#: one core on 5 December 2026 (docs/performance.md), a DBpedia cell about twice that; paper sizes on CPU are
#: hours).  A preset not listed counts as ``cpu``.
ROUGH_SECONDS = {"smoke": 10.0, "cpu": 300.0, "reference": 600.0, "paper": 7200.0, "paper768": 14400.0}
#: A reference row, or a re-scored model: no training.
ROUGH_UNTRAINED_SECONDS = 10.0


@dataclass(frozen=True)
class Estimate:
    seconds: float
    measured: int  # cells timed from stored records of the same method, corpus and preset
    rough: int  # cells timed by the rough figures
    neighbours: int = 0  # cells timed from stored records of other methods on the same corpus and preset

    def source(self) -> str:
        """Where the figure comes from: ``from stored timings of ...`` (and for how many cells each source)."""
        sources = [(self.measured, "stored timings of similar cells: same method, corpus and preset"),
                   (self.neighbours, "stored timings of other methods on the same corpus and preset"),
                   (self.rough, "rough per-preset figures")]
        used = [(n, what) for n, what in sources if n]
        if len(used) == 1:
            return "from " + used[0][1] + (": no stored timing of a similar cell" if self.rough else "")
        return "from " + ", ".join(f"{what.split(':')[0]} for {n}" for n, what in used)

    def line(self, cells: int, references: int, concurrency: int) -> str:
        at = f" with {concurrency} at once" if concurrency > 1 else ""
        what = f"{cells} cell(s)" + (f" and {references} reference row(s)" if references else "")
        return f"to run: {what}, about {duration(self.seconds / max(1, concurrency))}{at} ({self.source()})"


def kind_of(cell: Any) -> tuple[str, str, str]:
    """(method or reference name, corpus, preset): what makes two cells similar in cost."""
    spec = cell.spec if hasattr(cell, "spec") else cell.source.spec
    return cell.name, spec.corpus, spec.preset


def stored_timings(records: Iterable[dict[str, Any]]) -> dict[tuple[str, str, str], float]:
    """The median wall seconds of finished, trained (not re-scored) records, by :func:`kind_of` key."""
    seen: dict[tuple[str, str, str], list[float]] = {}
    for key, wall in _trained_walls(records):
        seen.setdefault(key, []).append(wall)
    return {k: statistics.median(v) for k, v in seen.items()}


def neighbour_timings(records: Iterable[dict[str, Any]]) -> dict[tuple[str, str], float]:
    """The median wall seconds of finished, trained method cells (no reference rows), by (corpus, preset)."""
    seen: dict[tuple[str, str], list[float]] = {}
    for (_, corpus, preset), wall in _trained_walls(r for r in records if not r.get("reference")):
        seen.setdefault((corpus, preset), []).append(wall)
    return {k: statistics.median(v) for k, v in seen.items()}


def _trained_walls(records: Iterable[dict[str, Any]]) -> list[tuple[tuple[str, str, str], float]]:
    out = []
    for r in records:
        spec, wall = r.get("spec") or {}, r.get("wall_seconds")
        rescored = ((r.get("provenance") or {}).get("scoring") or {}).get("rescored")
        if r.get("status") == "ok" and not rescored and isinstance(wall, (int, float)) and wall > 0:
            out.append(((str(spec.get("method")), str(spec.get("corpus")), str(spec.get("preset"))), float(wall)))
    return out


def estimate(to_run: Sequence[tuple[Any, Any]], records: Iterable[dict[str, Any]]) -> Estimate:
    """The compute time of ``to_run`` ((cell, stored weights or None) pairs, as the driver plans them)."""
    records = list(records)
    timings, neighbours = stored_timings(records), neighbour_timings(records)
    seconds, measured, near, rough = 0.0, 0, 0, 0
    for cell, weights in to_run:
        key = kind_of(cell)
        trains = cell.trains and weights is None
        if weights is None and key in timings:
            seconds, measured = seconds + timings[key], measured + 1
        elif trains and key[1:] in neighbours:
            seconds, near = seconds + neighbours[key[1:]], near + 1
        else:
            seconds += ROUGH_SECONDS.get(key[2], ROUGH_SECONDS["cpu"]) if trains else ROUGH_UNTRAINED_SECONDS
            rough += 1
    return Estimate(seconds, measured, rough, near)


def duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"
