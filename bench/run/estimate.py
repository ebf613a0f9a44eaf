"""How long a run will take, said before it starts: from stored timings of similar cells, else a rough figure.

A similar cell is one of the same method (or reference), corpus and preset that was trained, not
re-scored, and finished; its median wall time stands for each cell of that kind.  Without one, the
preset's rough figure per cell on CPU (:data:`ROUGH_SECONDS`, from this project's own runs on 2
cores) is used, and the line says which of the two it is.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

#: Seconds per trained cell on CPU, by preset (smoke: the tests' cells; reference: results/reference's
#: median, 1,750 s; paper sizes on CPU are hours).  A preset not listed counts as ``cpu``.
ROUGH_SECONDS = {"smoke": 10.0, "cpu": 300.0, "reference": 1800.0, "paper": 7200.0, "paper768": 14400.0}
#: A reference row, or a re-scored model: no training.
ROUGH_UNTRAINED_SECONDS = 10.0


@dataclass(frozen=True)
class Estimate:
    seconds: float
    measured: int  # cells timed from stored records
    rough: int  # cells timed by the rough figures

    def line(self, cells: int, references: int, concurrency: int) -> str:
        if self.rough and not self.measured:
            how = "from rough per-preset figures: no stored timing of a similar cell"
        elif self.measured and not self.rough:
            how = "from stored timings of similar cells: same method, corpus and preset"
        else:
            how = f"from stored timings for {self.measured}, rough per-preset figures for {self.rough}"
        at = f" with {concurrency} at once" if concurrency > 1 else ""
        what = f"{cells} cell(s)" + (f" and {references} reference row(s)" if references else "")
        return f"to run: {what}, about {duration(self.seconds / max(1, concurrency))}{at} ({how})"


def kind_of(cell: Any) -> tuple[str, str, str]:
    """(method or reference name, corpus, preset): what makes two cells similar in cost."""
    spec = cell.spec if hasattr(cell, "spec") else cell.source.spec
    return cell.name, spec.corpus, spec.preset


def stored_timings(records: Iterable[dict[str, Any]]) -> dict[tuple[str, str, str], float]:
    """The median wall seconds of finished, trained (not re-scored) records, by :func:`kind_of` key."""
    seen: dict[tuple[str, str, str], list[float]] = {}
    for r in records:
        spec, wall = r.get("spec") or {}, r.get("wall_seconds")
        rescored = ((r.get("provenance") or {}).get("scoring") or {}).get("rescored")
        if r.get("status") == "ok" and not rescored and isinstance(wall, (int, float)) and wall > 0:
            key = (str(spec.get("method")), str(spec.get("corpus")), str(spec.get("preset")))
            seen.setdefault(key, []).append(float(wall))
    return {k: statistics.median(v) for k, v in seen.items()}


def estimate(to_run: Sequence[tuple[Any, Any]], records: Iterable[dict[str, Any]]) -> Estimate:
    """The compute time of ``to_run`` ((cell, stored weights or None) pairs, as the driver plans them)."""
    timings = stored_timings(records)
    seconds, measured, rough = 0.0, 0, 0
    for cell, weights in to_run:
        key = kind_of(cell)
        if weights is None and key in timings:
            seconds, measured = seconds + timings[key], measured + 1
            continue
        trains = cell.trains and weights is None
        seconds += ROUGH_SECONDS.get(key[2], ROUGH_SECONDS["cpu"]) if trains else ROUGH_UNTRAINED_SECONDS
        rough += 1
    return Estimate(seconds, measured, rough)


def duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"
