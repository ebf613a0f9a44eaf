"""`--sweep`: each method expands into its declared points, each a cell whose identity is its resolved config."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.config import parse_overrides
from bench.errors import UserError
from bench.experiment import load_experiment
from bench.grid import budget_note, point_name
from bench.runner import expand
from methods.registry import get_method, register_in_process, unregister_in_process
from methods.sweeps import EQUAL_BUDGET, sweep_of

ROOT = Path(__file__).resolve().parents[3]


def names(specs):
    return [(s.method, point_name(s.config["method_config"], get_method(s.method).config), s.seed) for s in specs]


def test_each_method_expands_into_its_declared_points_times_the_seeds():
    specs = expand(["hsvae", "ton", "ae"], ["synthetic"], [0, 1], "smoke", parse_overrides([]), sweep=True)
    assert len(specs) == (EQUAL_BUDGET + EQUAL_BUDGET + 1) * 2
    assert len({s.cell_id for s in specs}) == len(specs)
    expected = [(m, p.name, seed) for m in ("hsvae", "ton", "ae") for p in sweep_of(get_method(m).config).points
                for seed in (0, 1)]
    assert names(specs) == expected
    ton = [s.config["method_config"] for s in specs if s.method == "ton" and s.seed == 0]
    assert [c.get("kl_weight", 1.0) for c in ton] == [1.0, 0.1, 0.01, 0.01, 0.01]
    assert "kl_weight" not in ton[0], "the default point is the published cell: no new key in its id"


def test_without_sweep_a_method_is_one_cell_as_before():
    plain = expand(["hsvae", "ton"], ["synthetic"], [0], "smoke", parse_overrides([]))
    swept = expand(["hsvae", "ton"], ["synthetic"], [0], "smoke", parse_overrides([]), sweep=True)
    assert [s.cell_id for s in plain] == [swept[0].cell_id, swept[EQUAL_BUDGET].cell_id]


def test_a_points_k_wins_over_the_presets_and_the_dictionary_is_still_sized_from_the_input():
    specs = expand(["topk", "batchtopk"], ["synthetic"], [0], "smoke", parse_overrides([]), sweep=True)
    for s in specs:
        cfg = s.config["method_config"]
        assert cfg["latent_dim"] == 4 * 64, "expansion 4 × the smoke preset's GRU state (64)"
    assert [s.config["method_config"]["k"] for s in specs if s.method == "topk"] == [32, 4, 8, 16, 64]


def test_sweep_combines_with_free_set_keys_and_grid_points():
    specs = expand(["hsvae"], ["synthetic"], [0], "smoke", parse_overrides(["psi=0.1", "epochs=1"]),
                   grid={"latent_dim": ["8", "16"]}, sweep=True)
    assert len(specs) == 2 * EQUAL_BUDGET
    assert all(s.config["method_config"]["psi"] == 0.1 and s.config["train"]["epochs"] == 1 for s in specs)
    assert {s.config["method_config"]["latent_dim"] for s in specs} == {8, 16}


@pytest.mark.parametrize("sets, grid, message", [
    (["hsvae.alpha=2"], {}, r"--set hsvae.alpha: 'alpha' is a key of hsvae's declared sweep"),
    (["beta=0.5"], {}, r"--set beta: 'beta' is a key of hsvae's declared sweep"),
    ([], {"mat.alpha": ["1", "2"]}, r"--grid mat.alpha: 'alpha' is a key of mat's declared sweep"),
])
def test_setting_a_key_the_sweep_sets_is_refused(sets, grid, message):
    with pytest.raises(UserError, match=message):
        expand(["hsvae", "mat"], ["synthetic"], [0], "smoke", parse_overrides(sets), grid=grid, sweep=True)


def test_a_variant_is_not_swept():
    with pytest.raises(UserError, match=r"'vae-beta0.01' is a variant \(a fixed configuration of vae\).*--methods vae"):
        expand(["vae-beta0.01"], ["synthetic"], [0], "smoke", parse_overrides([]), sweep=True)


PLUGINS = """
from dataclasses import dataclass

from methods.declare import harness, point, sweep
from methods.vae.config import VAEConfig
from methods.vae.model import VAE


@dataclass(frozen=True)
class PlainConfig(VAEConfig):
    pass


@sweep(point("default", beta=(1.0, harness("test"))), point("light", beta=(0.1, harness("test"))),
       knobs={"beta": "KL weight"})
@dataclass(frozen=True)
class SweptConfig(VAEConfig):
    pass


class Plain(VAE):
    name = "plainplug"
    Config = PlainConfig


class Swept(VAE):
    name = "sweptplug"
    Config = SweptConfig
"""


@pytest.fixture
def plugins(tmp_path, monkeypatch):
    (tmp_path / "sweep_plugins.py").write_text(PLUGINS)
    monkeypatch.syspath_prepend(str(tmp_path))
    register_in_process("plainplug", "sweep_plugins:Plain")
    register_in_process("sweptplug", "sweep_plugins:Swept")
    yield
    unregister_in_process("plainplug")
    unregister_in_process("sweptplug")


def test_a_plugin_declares_its_sweep_on_its_config_and_one_without_runs_as_one_point(plugins):
    specs = expand(["plainplug", "sweptplug"], ["synthetic"], [0], "smoke", parse_overrides([]), sweep=True)
    assert [(s.method, s.config["method_config"]["beta"]) for s in specs] == [
        ("plainplug", 1.0), ("sweptplug", 1.0), ("sweptplug", 0.1)]
    assert names(specs) == [("plainplug", "default", 0), ("sweptplug", "default", 0), ("sweptplug", "light", 0)]
    note = budget_note(["hsvae", "plainplug", "sweptplug", "ae"])
    assert note == (f"note: the sweeps are not an equal budget (points: hsvae {EQUAL_BUDGET}, plainplug 1 (declares "
                    f"no sweep: its defaults), sweptplug 2; built-in sweeps have {EQUAL_BUDGET})")
    assert budget_note(["hsvae", "mat", "ae"]) is None, "a control is not counted against the budget"


def test_the_published_cells_are_the_first_points():
    """On the published protocol the first point of each method trains the committed cell's model (the same
    training identity), so a frontier run whose weights are stored re-scores it instead of training it."""
    committed = {}
    for path in (ROOT / "results" / "reference" / "text" / "runs").glob("*-yahoo-seed0-*/record.json"):
        record = json.loads(path.read_text())
        if "reference" not in record and not record["spec"].get("variant"):
            committed[record["spec"]["method"]] = record["train_id"]
    specs = expand(["hsvae", "mat", "ton", "sparsemax", "vae", "ae"], ["yahoo"], [0], "reference",
                   parse_overrides([]), train_split="valid", sweep=True)
    firsts = {s.method: s.train_id for s in specs if point_name(s.config["method_config"], get_method(s.method).config)
              == sweep_of(get_method(s.method).config).points[0].name}
    assert firsts == committed


def test_the_frontier_experiment_sweeps_the_text_track():
    exp = load_experiment(ROOT / "experiments" / "frontier.toml")
    assert exp.sweep and exp.preset == "reference" and exp.train_split == "valid"
    specs = expand(exp.methods, ["yahoo"], exp.seeds, exp.preset, parse_overrides([]), exp.train_split, exp.grid,
                   variants=exp.variants, sweep=exp.sweep)
    swept = [m for m in exp.methods if not sweep_of(get_method(m).config).control]
    assert len(specs) == EQUAL_BUDGET * len(swept) + (len(exp.methods) - len(swept))


def test_an_experiment_file_takes_sweep_as_a_boolean(tmp_path):
    path = tmp_path / "e.toml"
    path.write_text('methods = ["vae"]\nsweep = "yes"\n')
    with pytest.raises(UserError, match="sweep = true"):
        load_experiment(path)
