"""More seeds only where they change a conclusion: the points on a frontier of the first seed's records.

Why: a text-track cell costs a core for half an hour, and a sweep is 26 cells per corpus; three seeds of
every point would triple a budget of days, while a claim judged on frontiers only reads the points on
them (docs/frontiers.md).  So a sweep runs every point at its first seed, and ``frontier_seeds`` (``bench
run --frontier-seeds 1,2``, or ``frontier_seeds = [1, 2]`` in an experiment file) adds the other seeds
for the points that lie on their method's frontier, in either mode kind and under either sparsity
reading, as the stored records of the first seed draw it.  A point whose first-seed record is not stored
yet cannot be placed, and a frontier drawn from part of a sweep is not the sweep's (a point on it may be
dominated by one still to come): so while any first seed is missing, ``bench run`` holds every further seed
back, runs the first seeds, then reads the frontiers from all of them and runs the further seeds of the points
on one, in the same command (``bench.cli.run``).  They run seed-major (every point at seed 1, then every point at
seed 2): a claim reads a point once it has 2 seeds, so a sweep stopped halfway can already be judged on every point,
where point-major order (each point's seeds 1 and 2 in turn) would leave most points at one seed.

Which records lie on a frontier is the report room's to say (:func:`bench.report.frontier.frontier_point_cells`);
this module, in the run room, turns that set into cells, and ``bench run`` (the cli room) joins the two.
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
            line += f"; {self.waiting} point(s) wait for their first-seed record"
        return line

    def deferred_note(self, seeds: Sequence[int]) -> str:
        """Why a run with first seeds still to come holds every further seed back until they are stored."""
        return (f"frontier seeds {','.join(str(s) for s in seeds)}: {self.waiting} point(s) wait for their "
                f"first-seed record, so this run first stores every first seed, then reads the frontiers from all "
                f"of them and runs the further seeds of the points on one, which the cells and the time below "
                f"leave out (from the records so far: {self.on_frontier} point(s) on a frontier, {len(self.cells)} "
                f"cell(s); {self.off_frontier} off every frontier)")


def frontier_seed_cells(cells: Sequence[Any], stored: Iterable[str], on_frontier: Iterable[str], seeds: Sequence[int],
                        resolve: Any = None) -> FrontierSeeds:
    """The cells of ``seeds`` for the points of ``cells`` (the cells a grid declares at its own seeds) whose ids are
    in ``on_frontier``: the cell ids of the records of ``cells`` (``stored``: those with a successful record) that
    lie on a frontier drawn from those records alone, so every further seed of a sweep is decided by the same
    evidence, whatever else the folder holds.  ``resolve`` turns a spec into a cell (default
    :meth:`MethodCell.resolve`, each encoder name resolved once)."""
    from bench.cells.method import MethodCell

    if resolve is None:
        from bench.encoders.identity import EncoderIdentities

        encoders = EncoderIdentities()  # each encoder name resolved once

        def resolve(spec: Any) -> Any:
            return MethodCell.resolve(spec, encoders)
    have, on = set(stored), set(on_frontier)
    placed = [c for c in cells if c.cell_id in have]
    base = [c for c in placed if c.cell_id in on]
    # seed-major (the module docstring says why)
    added = [resolve(dataclasses.replace(c.spec, seed=int(s))) for s in seeds for c in base if int(s) != c.spec.seed]
    return FrontierSeeds(list(dict.fromkeys(added)), len(base), len(placed) - len(base), len(cells) - len(placed))
