"""Frontier seeds: further seeds only for the points on a frontier of the stored first-seed records, decided on
hand-made records (a dominated point gets none, a point on the frontier of one reading or one mode kind gets
them, a point without a record waits), and the same rule through `bench run --frontier-seeds` and an
experiment file."""
from __future__ import annotations

import json

from click.testing import CliRunner

from bench.cli import cli
from bench.cli.run import frontier_seed_plan
from bench.report.frontier import frontier_point_cells
from bench.run.expand import Grid, expand


def cells_of_sweep():
    """The 5 points of the dense VAE's declared sweep on the synthetic corpus, seed 0."""
    return expand(Grid(methods=["vae"], corpora=["synthetic"], seeds=[0], preset="smoke", sweep=True))


def stored(cell, acc: float, dims: float, hoyer: float, stochastic: tuple[float, float, float] | None = None) -> dict:
    """A successful record of ``cell`` as the store holds it: deterministic mode ``mean`` (acc, active dims,
    Average Hoyer) and stochastic ``sample`` (``stochastic``, else a little worse on every reading)."""
    s_acc, s_dims, s_hoyer = stochastic or (acc - 0.05, dims, hoyer)
    modes = {"mean": {"probe_accuracy": acc, "active_dims": dims, "avg_hoyer": hoyer},
             "sample": {"probe_accuracy": s_acc, "active_dims": s_dims, "avg_hoyer": s_hoyer}}
    return {"cell_id": cell.cell_id, "status": "ok", "spec": cell.spec.to_dict(), "config": cell.config,
            "provenance": {}, "metrics": {"modes": modes, "modes_kind": {"mean": "deterministic", "sample": "stochastic"},
                                          "headline_modes": {"deterministic": "mean", "stochastic": "sample"},
                                          "default_mode": "mean", "reconstruction": {}}}


def test_only_points_on_a_frontier_get_further_seeds_and_points_without_a_record_wait():
    a, b, c, d, e = cells_of_sweep()
    records = [stored(a, 0.80, 20.0, 0.20), stored(b, 0.70, 10.0, 0.50),
               stored(c, 0.60, 15.0, 0.30),  # B is sparser and more accurate on both readings: dominated
               stored(d, 0.50, 5.0, 0.60)]  # e has no record yet
    assert frontier_point_cells(records) == {a.cell_id, b.cell_id, d.cell_id}
    plan = frontier_seed_plan([a, b, c, d, e], records, [1, 2])
    assert (plan.on_frontier, plan.off_frontier, plan.waiting) == (3, 1, 1)
    assert sorted((x.spec.seed, x.spec.overrides) for x in plan.cells) == sorted(
        (s, base.spec.overrides) for base in (a, b, d) for s in (1, 2))
    assert all(x.spec.seed in (1, 2) and x.cell_id not in {a.cell_id, b.cell_id, d.cell_id} for x in plan.cells)
    # seed-major: every point reaches the 2 seeds a claim reads before any point gets its third
    assert [(x.spec.seed, x.spec.overrides) for x in plan.cells] == [
        (s, base.spec.overrides) for s in (1, 2) for base in (a, b, d)]
    assert plan.note([1, 2]) == ("frontier seeds 1,2: 3 point(s) on a frontier get them (6 cell(s)), 1 off every "
                                 "frontier do not; 1 point(s) wait for their first-seed record")
    assert plan.deferred_note([1, 2]).startswith("frontier seeds 1,2: 1 point(s) wait for their first-seed record, so "
                                                 "this run first stores every first seed")


def test_a_point_on_the_frontier_of_one_reading_or_one_mode_kind_is_on_a_frontier():
    a, b, c, d, _ = cells_of_sweep()
    # c is dominated by b on active dims but sparser than b by Average Hoyer: on that frontier
    by_hoyer = [stored(a, 0.80, 20.0, 0.20), stored(b, 0.70, 10.0, 0.50), stored(c, 0.60, 15.0, 0.55)]
    assert c.cell_id in frontier_point_cells(by_hoyer)
    # d is dominated in its deterministic mode, not in its stochastic one
    by_kind = [stored(a, 0.80, 20.0, 0.20), stored(b, 0.70, 10.0, 0.50),
               stored(d, 0.60, 15.0, 0.30, stochastic=(0.69, 8.0, 0.70))]
    assert d.cell_id in frontier_point_cells(by_kind)
    assert frontier_seed_plan([a, b, d], by_kind, [0]).cells == []  # a seed the points already have: nothing


def write(root, records):
    for r in records:
        folder = root / "runs" / f"vae-synthetic-seed0-{r['cell_id']}"
        folder.mkdir(parents=True)
        (folder / "record.json").write_text(json.dumps(r))


def test_bench_run_frontier_seeds_plans_them_from_the_store(tmp_path):
    a, b, c, d, e = cells_of_sweep()
    write(tmp_path, [stored(a, 0.80, 20.0, 0.20), stored(b, 0.70, 10.0, 0.50), stored(c, 0.60, 15.0, 0.30),
                     stored(d, 0.50, 5.0, 0.60)])
    args = ["run", "-m", "vae", "-c", "synthetic", "--sweep", "--seeds", "0,", "--preset", "smoke",
            "--resume", "cache-only", "--no-references", "--results-dir", str(tmp_path)]
    res = CliRunner().invoke(cli, [*args, "--frontier-seeds", "1,2"], prog_name="bench")
    # a point waits for its first seed: the further seeds are held back until the run has tried every first seed,
    # then read from all of them (the waiting point is still missing here: --resume cache-only trains nothing)
    assert ("frontier seeds 1,2: 1 point(s) wait for their first-seed record, so this run first stores every first "
            "seed" in res.output), res.output
    assert "5 cells" in res.output and ("frontier seeds 1,2: 3 point(s) on a frontier get them (6 cell(s)), 1 off "
                                        "every frontier do not; 1 point(s) wait for their first-seed record; 6 of "
                                        "those cell(s) run now") in res.output
    assert res.output.index("5 cells") < res.output.index("6 of those cell(s) run now") < res.output.index("6 cells")
    assert "4 cached, 0 failed, 7 missing" in res.output  # the waiting point + 6, in one summary
    write(tmp_path, [stored(e, 0.40, 25.0, 0.10)])  # every first seed stored (e dominated): the seeds join the run
    experiment = tmp_path / "frontier.toml"
    experiment.write_text('methods = ["vae"]\ncorpora = ["synthetic"]\nseeds = [0]\npreset = "smoke"\n'
                          "sweep = true\nfrontier_seeds = [1]\n")
    res = CliRunner().invoke(cli, ["run", "--config", str(experiment), "--resume", "cache-only", "--no-references",
                                   "--results-dir", str(tmp_path)], prog_name="bench")
    assert "frontier seeds 1: 3 point(s) on a frontier get them (3 cell(s))" in res.output, res.output
    assert "8 cells" in res.output and "5 cached, 0 failed, 3 missing" in res.output
    assert "run now" not in res.output  # nothing held back, nothing to add after the run
    first_only = CliRunner().invoke(cli, ["run", "--config", str(experiment), "--frontier-seeds", "none",
                                          "--resume", "cache-only", "--no-references", "--results-dir", str(tmp_path)],
                                    prog_name="bench")
    assert "frontier seeds" not in first_only.output and "5 cells" in first_only.output, first_only.output
    bad = CliRunner().invoke(cli, [*args, "--frontier-seeds", "one"], prog_name="bench")
    assert bad.exit_code == 2 and "invalid --frontier-seeds 'one'" in bad.output and "none" in bad.output and "Traceback" not in bad.output
