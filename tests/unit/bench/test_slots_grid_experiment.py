from __future__ import annotations

import pytest

from bench.errors import UserError
from bench.config.experiment import load_experiment
from bench.config.grid import parse_grid, points_for
from bench.run.slots import SlotAllocator, parse_devices
from methods.vae.config import VAEConfig
from bench.run.expand import Grid, expand as expand_grid


def expand(methods, corpora, seeds, preset, overrides, train_split="train", grid=None, encoder="", variants=None,
           sweep=False):
    """The cells ``bench run`` expands these options into (:func:`bench.run.expand.expand` of a :class:`Grid`)."""
    return expand_grid(Grid(methods, corpora, seeds, preset, overrides, train_split, grid or {}, encoder,
                            variants or {}, sweep))


def test_allocator_never_exceeds_per_device_and_balances():
    alloc = SlotAllocator(["cuda:0", "cuda:1"], per_device=2)
    got = [alloc.acquire() for _ in range(4)]
    assert alloc.acquire() is None, "4 slots in all: a fifth cell must wait"
    assert sorted(s.device for s in got) == ["cuda:0", "cuda:0", "cuda:1", "cuda:1"]
    assert [s.device for s in got[:2]] == ["cuda:0", "cuda:1"], "least-loaded device first"
    alloc.release(got[1])
    again = alloc.acquire()
    assert again.device == got[1].device
    alloc.release(again)
    with pytest.raises(ValueError):
        alloc.release(again)  # released twice


def test_slot_environment_pins_one_gpu_or_hides_all():
    alloc = SlotAllocator(["cuda:3", "cpu"], per_device=1, cpu_slots=2)
    slots = [alloc.acquire() for _ in range(3)]
    gpu = next(s for s in slots if s.is_cuda)
    assert gpu.env(1)["CUDA_VISIBLE_DEVICES"] == "3" and gpu.worker_device == "cuda:0"
    cpu = next(s for s in slots if not s.is_cuda)
    assert cpu.env(4)["CUDA_VISIBLE_DEVICES"] == "" and cpu.env(4)["OMP_NUM_THREADS"] == "4"


def test_parse_devices_defaults_and_errors():
    assert parse_devices(None, 0) == ["cpu"]
    assert parse_devices(None, 2) == ["cuda:0", "cuda:1"]
    assert parse_devices("cuda:1,cuda:0", 2) == ["cuda:1", "cuda:0"]
    for bad in ("gpu0", "cuda:x", "cuda:0,cuda:0"):
        with pytest.raises(UserError):
            parse_devices(bad, 0)


def test_grid_points_are_per_method_cartesian():
    grid = parse_grid(["vae.beta=1,2", "latent_dim=4,8", "other.alpha=1,2,3", "epochs=1"])
    pts = points_for("vae", VAEConfig, grid)
    assert len(pts) == 4  # other.alpha does not multiply vae's cells
    assert (("epochs", "1"), ("latent_dim", "4"), ("vae.beta", "1")) in pts
    with pytest.raises(UserError, match="malformed --grid"):
        parse_grid(["vae.beta"])


def test_experiment_file(tmp_path):
    p = tmp_path / "e.toml"
    p.write_text('methods = ["vae"]\nseeds = 2\npreset = "smoke"\n[set]\nepochs = 1\n[grid]\n"vae.beta" = [0.5, 1]\n')
    exp = load_experiment(p)
    assert exp.seeds == [0, 1] and exp.sets == {"epochs": "1"} and exp.grid == {"vae.beta": ["0.5", "1"]}
    p.write_text('method = ["vae"]\n')
    with pytest.raises(UserError, match="unknown key 'method' \\(did you mean 'methods'\\?\\)"):
        load_experiment(p)
    p.write_text('methods = "vae"\n')
    with pytest.raises(UserError, match="bad value type"):
        load_experiment(p)
    with pytest.raises(UserError, match="no such file"):
        load_experiment(tmp_path / "missing.toml")


def test_shipped_paper_experiment_expands_to_the_documented_grid():
    from pathlib import Path

    from bench.config.resolve import parse_overrides

    exp = load_experiment(Path(__file__).resolve().parents[3] / "experiments" / "paper.toml")
    specs = expand(exp.methods, exp.corpora, exp.seeds, exp.preset, parse_overrides([]), exp.train_split, exp.grid,
                   variants=exp.variants)
    assert len(specs) == 153
    assert len({s.cell_id for s in specs}) == 153
    hs = [s for s in specs if s.spec.method == "hsvae"]
    assert {(s.config["method_config"]["alpha"], s.config["method_config"]["beta"]) for s in hs} == {
        (a, b) for a in (4.0, 30.0) for b in (1.0, 10.0, 30.0)}
    assert {s.config["method_config"]["latent_dim"] for s in specs} == {32}
    assert all(s.config["method_config"]["hidden_dim"] == 512 for s in specs)
    assert all(s.config["train"]["precision"] == "fp32" for s in specs)
    control = [s for s in specs if s.spec.variant == "vae-beta0.01"]
    assert len(control) == 9 and {s.config["method_config"]["beta"] for s in control} == {0.01}
    assert {s.config["method_config"]["beta"] for s in specs if s.spec.method == "vae" and not s.spec.variant} == {1.0}
    assert {s.config["train"]["batch_size"] for s in hs if s.spec.corpus == "dbpedia"} == {512}
    assert {s.config["method_config"]["std_head"] for s in hs} == {"exp"}
    wide = expand(["hsvae"], ["yahoo"], [0], "paper768", parse_overrides([]))
    assert wide[0].config["method_config"]["latent_dim"] == 768 and wide[0].config["train"]["batch_size"] == 256


def test_experiment_variants_are_named_configurations(tmp_path):
    from bench.config.resolve import parse_overrides
    from bench.report.leaderboard import records_to_frame

    p = tmp_path / "e.toml"
    p.write_text('methods = ["vae", "soft"]\n[variants.soft]\nmethod = "vae"\nbeta = 0.5\n')
    exp = load_experiment(p)
    specs = expand(exp.methods, ["synthetic"], [0], "smoke", parse_overrides(["vae.beta=2"]), variants=exp.variants)
    assert [(s.spec.label, s.config["method_config"]["beta"]) for s in specs] == [("vae", 2.0), ("soft", 0.5)]
    assert specs[1].dirname.startswith("soft-synthetic-seed0-")
    rec = {"status": "ok", "spec": specs[1].spec.to_dict(), "config": specs[1].config,
           "metrics": {"modes": {"mean": {"probe_accuracy": 0.5}}, "default_mode": "mean"}}
    assert list(records_to_frame([rec])["method"]) == ["soft"]


def test_the_docs_state_the_paper_grids_cell_count():
    """docs/running-at-scale.md said 288 cells while experiments/paper.toml expands to 153: the number is read here."""
    import re
    from pathlib import Path

    repo = Path(__file__).resolve().parents[3]
    stated = re.search(r"--config experiments/paper\.toml .*?\((\d+) cells\)", (repo / "docs" / "running-at-scale.md").read_text())
    assert stated, "docs/running-at-scale.md no longer states the paper grid's size"
    cells = list(expand_grid(Grid.of_experiment(load_experiment(repo / "experiments" / "paper.toml"))))
    assert int(stated.group(1)) == len(cells)
