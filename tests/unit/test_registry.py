"""The one plugin mechanism (:mod:`sparsebench.registry`): lazy entries, a check on load, did-you-mean,
and one clash rule, the same for methods, metrics, corpora and executors."""
from __future__ import annotations

import sys

import pytest

from sparsebench.registry import Registry, RegistryError, builtin

GROUP = "sparsebench.test-things"
MODULE = "fake_things_plugin"


def _dist(site, name: str, version: str, eps: dict[str, str]) -> None:
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[{GROUP}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items()))


@pytest.fixture
def registry(tmp_path, monkeypatch) -> Registry:
    site = tmp_path / "site"
    site.mkdir()
    (site / f"{MODULE}.py").write_text("GOOD = 'a good thing'\nBAD = 42\n")
    _dist(site, "things-a", "1.0", {"good": f"{MODULE}:GOOD", "bad": f"{MODULE}:BAD", "one": f"{MODULE}:GOOD",
                                     "twice": f"{MODULE}:GOOD", "broken": "no_such_things_module:X"})
    _dist(site, "things-b", "2.0", {"twice": f"{MODULE}:GOOD"})
    monkeypatch.syspath_prepend(str(site))
    sys.modules.pop(MODULE, None)
    yield Registry("thing", GROUP, builtins=lambda: {"one": builtin("one", "the built-in one")},
                   check=lambda name, value: [] if isinstance(value, str) else [f"is a {type(value).__name__}, "
                                                                                "not a str"])
    sys.modules.pop(MODULE, None)


def test_entries_are_listed_without_importing_and_loaded_once_checked(registry):
    assert registry.names() == ["bad", "broken", "good", "one", "twice"]
    assert MODULE not in sys.modules
    good = registry.get("good")
    assert good.origin == "plugin things-a 1.0" and good.load() == "a good thing" and MODULE in sys.modules
    with pytest.raises(RegistryError, match=r"thing 'bad' \(plugin things-a 1\.0, fake_things_plugin:BAD\): is a int, "
                                            r"not a str"):
        registry.load("bad")
    with pytest.raises(RegistryError, match=r"thing 'broken' \(plugin things-a 1\.0, no_such_things_module:X\) could "
                                            r"not be loaded: ModuleNotFoundError"):
        registry.load("broken")
    assert registry.load("good") == "a good thing"  # one bad plugin never blocks another


def test_a_plugin_may_not_shadow_a_builtin_and_two_plugins_with_one_name_are_both_unusable(registry):
    assert registry.load("one") == "the built-in one" and registry.get("one").origin == "built-in"
    with pytest.raises(RegistryError) as caught:
        registry.load("twice")
    assert "plugin things-a 1.0" in str(caught.value) and "plugin things-b 2.0" in str(caught.value)
    assert "both are unusable" in str(caught.value)
    problems = dict(registry.problems())
    assert "may not shadow the built-in thing 'one'" in problems["one"] and "plugin things-a 1.0" in problems["one"]
    assert "more than one plugin" in problems["twice"]


def test_unknown_names_get_a_suggestion_and_builtin_names_cannot_be_registered(registry):
    with pytest.raises(RegistryError, match=r"unknown thing 'godo' \(did you mean 'good'\?\); valid things: bad, "
                                            r"broken, good, one, twice"):
        registry.get("godo")
    with pytest.raises(RegistryError, match="'one' is a built-in"):
        registry.register("one", f"{MODULE}:GOOD")
    registry.register("mine", f"{MODULE}:GOOD")
    assert registry.get("mine").origin == "registered in-process" and registry.load("mine") == "a good thing"
    registry.unregister("mine")
    assert "mine" not in registry.entries()


def test_every_kind_uses_the_one_mechanism():
    from bench.run.backends import EXECUTORS
    from methods.registry import METHODS
    from tasks.corpora.plugins import CORPORA
    from tasks.metrics import METRICS

    groups = {r.kind: r.group for r in (METHODS, METRICS, CORPORA, EXECUTORS)}
    assert groups == {"method": "sparsebench.methods", "metric": "sparsebench.metrics",
                      "corpus": "sparsebench.corpora", "executor": "sparsebench.executors"}
    assert all(isinstance(r, Registry) for r in (METHODS, METRICS, CORPORA, EXECUTORS))
