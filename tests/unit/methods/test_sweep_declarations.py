"""Every method's declared sweep: the equal budget, sources, and the rules a declaration is checked by."""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from methods.declare import BackboneConfig, param
from methods.errors import MethodError
from methods.registry import BUILTIN_METHODS, builtin_methods
from methods.sweeps import (EQUAL_BUDGET, SOURCE_KINDS, Source, authors_code, harness, paper, point, sweep,
                            sweep_of)

ROOT = Path(__file__).resolve().parents[3]
SRC = harness("test")


def test_every_builtin_declares_a_sweep_of_the_equal_budget_or_is_a_declared_control():
    sizes = {}
    for name, entry in builtin_methods().items():
        sw = sweep_of(entry.config)
        assert sw.declared, f"{name} declares no sweep"
        if sw.control:
            assert len(sw.points) == 1 and not sw.keys, name
            continue
        sizes[name] = len(sw.points)
    assert set(sizes.values()) == {EQUAL_BUDGET}, sizes
    controls = {n for n, e in builtin_methods().items() if sweep_of(e.config).control}
    assert controls == {"ae"}, "only the autoencoder has no knob"
    assert set(sizes) | controls == set(BUILTIN_METHODS)


@pytest.mark.parametrize("name", BUILTIN_METHODS)
def test_each_point_sets_fields_of_its_config_within_range_and_every_value_has_a_source(name):
    from sparsebench.params import check_config, field_range

    cls = builtin_methods()[name].config
    sw = sweep_of(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    assert set(dict(sw.knobs)) <= set(fields)
    for p in sw.points:
        for key, value, source in p.settings:
            assert key in fields and key in dict(sw.knobs), (name, p.name, key)
            rng = field_range(fields[key])
            assert rng is None or rng.problem(value) is None, (name, p.name, key, value)
            assert isinstance(source, Source) and source.kind in SOURCE_KINDS and source.where.strip()
        check_config(cls(**p.values), name)  # cross-field rules (k ≤ dictionary, ...) too
    first = sw.points[0].values
    assert all(v == fields[k].default for k, v in first.items()), "the first point is the method's defaults"


@pytest.mark.parametrize("name", BUILTIN_METHODS)
@pytest.mark.parametrize("preset", ["smoke", "cpu", "reference", "paper", "paper768"])
def test_each_point_resolves_under_every_preset_to_a_distinct_config_holding_its_values(name, preset):
    """The point's values win over the preset's (TopK's k over the preset's k), and the sparse
    autoencoders' dictionaries hold every k (CSR: 4k) on both backbones."""
    from bench.config.resolve import resolve
    from bench.config.grid import sweep_points

    entry = builtin_methods()[name]
    resolved = []
    for point_name, overrides in sweep_points(name, entry.config):
        cfg, _, _ = resolve(name, entry.config, preset, overrides, "yahoo", entry.identity)
        point = next(p for p in sweep_of(entry.config).points if p.name == point_name)
        assert entry.config(**cfg).__dict__ | point.values == entry.config(**cfg).__dict__
        assert sweep_of(entry.config).point_for(cfg) == point
        if callable(getattr(entry.config, "sized_for", None)):
            for input_dim in (None, 384):  # the text backbone's GRU state, a MiniLM embedding
                assert entry.config(**cfg).sized_for(input_dim).k == point.values["k"]
        resolved.append(json.dumps(cfg, sort_keys=True))
    assert len(set(resolved)) == len(resolved), "two points resolve to the same cell"


def test_the_published_cells_are_the_first_point_of_their_methods_sweep():
    """A record names its point through its resolved config: every committed text-track cell of the
    paper protocol is its method's first point, the dense control at beta = 0.01 its beta0.01 point."""
    seen = {}
    for path in sorted((ROOT / "results" / "reference" / "text" / "runs").glob("*/record.json")):
        record = json.loads(path.read_text())
        if "reference" in record or record["spec"].get("variant", "") not in ("", "vae-beta0.01"):
            continue
        cls = builtin_methods()[record["spec"]["method"]].config
        found = sweep_of(cls).point_for(record["config"]["method_config"])
        label = record["spec"].get("variant") or record["spec"]["method"]
        seen.setdefault(label, set()).add(found.name if found else None)
    assert seen == {"hsvae": {"readme"}, "mat": {"readme"}, "ton": {"paper"}, "sparsemax": {"sparsemax"},
                    "vae": {"elbo"}, "vae-beta0.01": {"beta0.01"}, "ae": {"default"}}


@dataclass(frozen=True)
class _Toy(BackboneConfig):
    weight: float = param(1.0, ge=0)
    k: int = param(4, ge=1)
    mode: str = param("a", choices=("a", "b"))


def declare(*points, **kw):
    return sweep(*points, **{"knobs": {"weight": "w", "k": "k", "mode": "m"}, **kw})(
        dataclass(frozen=True)(type("Toy", (_Toy,), {})))


def test_a_plugin_declares_a_sweep_the_same_way_and_one_without_runs_as_one_point():
    cls = declare(point("default", weight=(1, SRC), k=(4, SRC)), point("light", weight=(0.1, SRC), k=(8, SRC)))
    sw = sweep_of(cls)
    assert [p.name for p in sw.points] == ["default", "light"] and sw.keys == ("weight", "k")
    assert sw.points[0].values == {"weight": 1.0, "k": 4} and isinstance(sw.points[0].values["weight"], float)
    assert sw.points[1].overrides("toy") == (("toy.k", "8"), ("toy.weight", "0.1"))
    assert sw.point_for({"weight": 0.1, "k": 8, "latent_dim": 3}).name == "light"
    assert sw.point_for({"weight": 0.5, "k": 8}) is None
    plain = sweep_of(_Toy)
    assert not plain.declared and len(plain.points) == 1 and plain.points[0].overrides("toy") == ()
    child = dataclass(frozen=True)(type("Child", (cls,), {}))
    assert not sweep_of(child).declared, "a sweep is not inherited: a subclass may mean something else"


@pytest.mark.parametrize("points, kw, message", [
    ((point("default", weight=(1, SRC)), point("x", nope=(2, SRC))), {}, "sets ['nope']"),
    ((point("default", nope=(1, SRC)),), {}, "not fields"),
    ((point("default", weight=(1, SRC)), point("x", weight=(-1.0, SRC))), {}, "weight=-1.0 is out of range"),
    ((point("default", k=(4, SRC)), point("x", k=(2.5, SRC))), {}, "is not of type int"),
    ((point("default", mode=("a", SRC)), point("x", mode=("c", SRC))), {}, "must be one of a, b"),
    ((point("default", weight=(1, SRC)), point("x", weight=(1.0, SRC))), {}, "same settings as point 'default'"),
    ((point("default", weight=(1, SRC)), point("default", weight=(2, SRC))), {}, "distinct"),
    ((point("x", weight=(2, SRC)),), {}, "must be the Config's defaults"),
    ((point("default", weight=(1, SRC)), point("x", weight=(2, SRC), k=(4, SRC))), {}, "every point sets the same"),
    ((point("default", latent_dim=(32, SRC)),), {}, "not among the declared knobs"),
    ((point("default", weight=(1, SRC)),), {"knobs": {"nope": "?"}}, "not fields"),
])
def test_a_bad_declaration_is_refused_when_it_is_made(points, kw, message):
    with pytest.raises(MethodError, match=message.replace("[", r"\[").replace("(", r"\(")):
        declare(*points, **kw)


def test_sources_must_be_of_a_known_kind_and_cite_something():
    assert str(paper("Tonolini et al. 2020")) == "paper: Tonolini et al. 2020"
    assert str(authors_code("a/b file.py")) == "authors' code: a/b file.py"
    with pytest.raises(MethodError, match="source kind"):
        Source("folklore", "x")
    with pytest.raises(MethodError, match="must say which"):
        paper(" ")
    with pytest.raises(MethodError, match=r"must be \(value, source\)"):
        point("x", weight=1.0)


def test_a_control_has_no_points_and_a_sweep_needs_some():
    cls = sweep(control="no knob")(dataclass(frozen=True)(type("C", (_Toy,), {})))
    sw = sweep_of(cls)
    assert sw.control == "no knob" and len(sw.points) == 1 and sw.point_for({"weight": 3.0}) is sw.points[0]
    with pytest.raises(MethodError, match="has no points"):
        sweep(point("default", weight=(1, SRC)), control="no knob")
    with pytest.raises(MethodError, match="give the points"):
        sweep()


def _later_points():
    for name in BUILTIN_METHODS:
        sw = sweep_of(builtin_methods()[name].config)
        for p in sw.points[1:]:  # the first point is the defaults: the conformance suite trains those
            yield pytest.param(name, p, id=f"{name}-{p.name}")


@pytest.mark.parametrize("name, sweep_point", list(_later_points()))
def test_every_other_point_trains_with_a_finite_loss_that_goes_down(name, sweep_point):
    """A point is a configuration nobody ran before the sweep: it must build, give finite loss terms,
    and learn on the toy corpus (the conformance suite's checks, at the point's values; a sparse
    autoencoder's dictionary sized from its input, as the presets do)."""
    import math

    from methods.conformance import Checks

    entry = builtin_methods()[name]
    sizes = {"latent_dim": 0} if callable(getattr(entry.config, "sized_for", None)) else {}
    checks = Checks(entry.load(), config_overrides={**sizes, **sweep_point.values},
                    backbone="text" if "text" in entry.identity.backbones else "embedding")
    checks.check_shapes()
    checks.check_loss()
    model = checks.build()
    before = checks.eval_loss(model)
    losses = checks.train_steps_(model, 30)
    after = checks.eval_loss(model)
    assert all(math.isfinite(x) for x in losses) and after < before, (before, after)
