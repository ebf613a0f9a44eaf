"""Corpus plugins through the entry-point group ``sparsebench.corpora``, installed as pip would leave them.

A fake ``*.dist-info`` with an ``entry_points.txt`` goes on ``sys.path`` beside the plugin's module, so
entry points are discovered exactly as for an installed distribution.  The rules are the method
registry's (one mechanism, :mod:`sparsebench.registry`): listed by name without importing, a plain loader
or the same :class:`CorpusInfo` the built-ins declare, a broken plugin listed with its error, a plugin
may not shadow a built-in, and two plugins with one name are both refused when the name is used.
"""
from __future__ import annotations

import sys
import textwrap

import pytest

from tasks.corpora import ENTRY_POINT_GROUP, corpus_info, load_corpus, registered
from tasks.errors import CorpusError

MODULE = "fake_corpus_plugin"
PLUGIN_SOURCE = textwrap.dedent('''
    from tasks.corpora import CorpusInfo, FileLayout, LengthShape
    from tasks.corpora.synthetic import SyntheticSpec, make_synthetic


    def tiny(**options):
        """Eight sentences, for tests."""
        return make_synthetic(SyntheticSpec(train_size=8, valid_size=4, test_size=4))


    def not_a_corpus(**options):
        return 42


    MINE = CorpusInfo("mine", "my corpus, described once", tiny, class_names=("a", "b"), max_length=20,
                      layout=FileLayout(text="mine.{split}.txt"),
                      shape=LengthShape(min_tokens=2, mean_tokens=5.0, max_tokens=20, words=100))
    MISNAMED = CorpusInfo("other", "a description under another name", tiny)
''')
DISTRIBUTIONS = {
    ("fake-corpora", "1.0"): {"tiny": f"{MODULE}:tiny", "mine": f"{MODULE}:MINE", "wrong": f"{MODULE}:not_a_corpus",
                              "misnamed": f"{MODULE}:MISNAMED", "broken": "no_such_module_xyz:load",
                              "yahoo": f"{MODULE}:tiny", "dup": f"{MODULE}:tiny"},
    ("other-corpora", "2.0"): {"dup": f"{MODULE}:tiny"},
}


@pytest.fixture
def plugins(tmp_path, monkeypatch):
    """Install the fake distributions above (metadata + module) on ``sys.path`` for one test."""
    site = tmp_path / "site"
    site.mkdir()
    (site / f"{MODULE}.py").write_text(PLUGIN_SOURCE)
    for (dist, version), eps in DISTRIBUTIONS.items():
        info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items()))
    monkeypatch.syspath_prepend(str(site))
    sys.modules.pop(MODULE, None)
    yield tmp_path
    sys.modules.pop(MODULE, None)


def test_plugins_are_found_by_name_without_importing(plugins):
    names = registered()
    assert {"tiny", "mine", "broken", "wrong", "dup"} <= set(names) and "synthetic" in names
    assert MODULE not in sys.modules
    corpus_info("tiny")
    assert MODULE in sys.modules


def test_a_plain_loader_gets_a_minimal_description(plugins):
    info = corpus_info("tiny")
    assert info.origin == "plugin fake-corpora 1.0" and info.description == f"plugin {MODULE}:tiny"
    assert info.present is None and info.shape is None and info.sources == ()
    assert len(load_corpus("tiny", data_dir=None, splits=("train", "test")).split("train")) == 8


def test_a_plugin_registers_the_same_description_as_the_builtins(plugins):
    info = corpus_info("mine")
    assert info.origin == "plugin fake-corpora 1.0" and info.description == "my corpus, described once"
    assert info.class_names == ("a", "b") and info.shape.eos_id == 101 and info.shape.vocab_size == 102
    data = plugins / "data"
    assert info.present(data) == ()  # present() is derived from the declared layout
    (data / "mine").mkdir(parents=True)
    (data / "mine" / "mine.valid.txt").write_text("0 a b\n")
    assert info.present(data) == ("valid",)
    assert len(load_corpus("mine").split("train")) == 8


def test_a_plugin_may_not_shadow_a_builtin(plugins):
    from tasks.corpora import CORPORA

    assert registered()["yahoo"].origin == "built-in"  # listing never raises, and the name stays the built-in's
    assert corpus_info("yahoo").origin == "built-in" and corpus_info("yahoo").sources  # the real description
    (why,) = [message for name, message in CORPORA.problems() if name == "yahoo"]
    assert why == ("corpus plugin 'yahoo' (plugin fake-corpora 1.0) is left out: a plugin may not shadow the "
                   "built-in corpus 'yahoo'; rename its entry point")
    assert MODULE not in sys.modules  # left out without being imported
    assert corpus_info("dbpedia").origin == "built-in"  # the others are untouched


def test_two_plugins_with_one_name_name_both(plugins):
    with pytest.raises(CorpusError, match=r"corpus 'dup' is registered by more than one plugin .*: both are "
                                          r"unusable") as caught:
        load_corpus("dup")
    assert "plugin fake-corpora 1.0" in str(caught.value) and "plugin other-corpora 2.0" in str(caught.value)


def test_broken_plugins_say_which(plugins):
    with pytest.raises(CorpusError, match=r"corpus 'broken' \(plugin fake-corpora 1\.0, no_such_module_xyz:load\) "
                                          r"could not be loaded: ModuleNotFoundError"):
        load_corpus("broken")
    with pytest.raises(CorpusError, match=r"corpus plugin 'wrong' returned int, expected tasks\.corpora\.Corpus"):
        load_corpus("wrong")
    with pytest.raises(CorpusError, match=r"corpus 'misnamed' \(plugin fake-corpora 1\.0, .*\): describes a corpus "
                                          r"named 'other'"):
        corpus_info("misnamed")


def test_bench_list_shows_broken_and_clashing_plugins_and_the_rest(plugins, run_bench):
    res = run_bench("list", "corpora", "--wide")  # one row a line
    assert res.exit_code == 0, res.output
    lines = [line for line in res.output.splitlines()[3:] if line.strip()]
    rows = {}
    for line in lines:
        rows.setdefault(line.split()[0], []).append(line)
    assert len(rows["broken"]) == 1 and "UNUSABLE: corpus 'broken'" in rows["broken"][0]
    assert "could not be loaded" in rows["broken"][0]
    assert "Yahoo Answers" in rows["yahoo"][0] and "UNUSABLE: corpus plugin 'yahoo'" in rows["yahoo"][1]
    assert "UNUSABLE: corpus 'dup' is registered by more than one plugin" in rows["dup"][0]
    assert "my corpus, described once" in rows["mine"][0] and "UNUSABLE" not in rows["dbpedia"][0]
    info = run_bench("data", "info", "broken")
    assert info.exit_code == 2 and "could not be loaded" in info.output


def test_unknown_name_keeps_did_you_mean(plugins):
    with pytest.raises(CorpusError, match=r"unknown corpus 'tinny' \(did you mean 'tiny'\?\)"):
        corpus_info("tinny")
