"""More seeds only where they change a conclusion: the points on a frontier of the first seed's records.

Why: a text-track cell costs a core for half an hour, and a sweep is 26 cells per corpus; three seeds of
every point would triple a budget of days, while a claim judged on frontiers only reads the points on
them (docs/frontiers.md).  So a sweep runs every point at its first seed, and ``frontier_seeds`` (``bench
run --frontier-seeds 1,2``, or ``frontier_seeds = [1, 2]`` in an experiment file) adds the other seeds
for the points that lie on their method's frontier, in either mode kind and under either sparsity
reading, as the stored records of the first seed draw it.  A point whose first-seed record is not stored
yet cannot be placed: it waits (a later run adds its seeds), and the run says how many wait.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Iterable, Sequence


@dataclass(frozen=True)
class FrontierSeeds:
    cells: list[Any]  # the cells to add: a frontier point's cell at each further seed
    on_frontier: int  # first-seed cells on a frontier
    off_frontier: int  # first-seed cells on none (no further seeds)
    waiting: int  # first-seed cells without a stored record yet

    def note(self, seeds: Sequence[int]) -> str:
        listed = ",".join(str(s) for s in seeds)
        line = (f"frontier seeds {listed}: {self.on_frontier} point(s) on a frontier get them "
                f"({len(self.cells)} cell(s)), {self.off_frontier} off every frontier do not")
        if self.waiting:
            line += f"; {self.waiting} point(s) wait for their first-seed record (rerun once it is stored)"
        return line


def frontier_point_cells(records: Iterable[dict[str, Any]]) -> set[str]:
    """Cell ids of the records whose point lies on its method's frontier in some panel (mode kind) under some
    sparsity reading (:mod:`bench.report.frontier`)."""
    from bench.report.frontier import READINGS, collect

    on: set[str] = set()
    for series in collect(records).values():
        for s in series:
            if s.reference:
                continue
            for x in READINGS:
                for p in s.frontier(x).front:
                    on.update(p.cells)
    return on


def frontier_seed_cells(cells: Sequence[Any], records: Iterable[dict[str, Any]], seeds: Sequence[int],
                        resolve: Any = None) -> FrontierSeeds:
    """The cells of ``seeds`` for the points of ``cells`` (the cells a grid declares at its own seeds) that lie on
    a frontier of their stored ``records``.  The frontier is drawn from those cells' records only, so every
    further seed of a sweep is decided by the same evidence, whatever else the folder holds.  ``resolve``
    turns a spec into a cell (default :meth:`MethodCell.resolve`, each encoder name resolved once)."""
    from bench.cells.method import MethodCell

    if resolve is None:
        from bench.encoders.identity import EncoderIdentities

        encoders = EncoderIdentities()  # each encoder name resolved once

        def resolve(spec: Any) -> Any:
            return MethodCell.resolve(spec, encoders)
    by_id = {str(r.get("cell_id")): r for r in records
             if r.get("status") == "ok" and not r.get("reference") and r.get("cell_id")}
    stored = [c for c in cells if c.cell_id in by_id]
    on = frontier_point_cells(by_id[c.cell_id] for c in stored)
    base = [c for c in stored if c.cell_id in on]
    added = [resolve(dataclasses.replace(c.spec, seed=int(s))) for c in base for s in seeds if int(s) != c.spec.seed]
    return FrontierSeeds(list(dict.fromkeys(added)), len(base), len(stored) - len(base), len(cells) - len(stored))
