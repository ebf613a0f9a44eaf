"""Corpus plugins through the entry-point group ``sparsebench.corpora``, installed as pip would leave them.

A fake ``*.dist-info`` with an ``entry_points.txt`` goes on ``sys.path`` beside the plugin's module, so
entry points are discovered exactly as for an installed distribution.  The rules are the method
registry's: listed by name without importing, a plain loader or the same :class:`CorpusInfo` the
built-ins declare, a broken plugin listed with its error, a clash refused only when the name is used.
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


def test_a_plugin_clashing_with_a_builtin_is_refused_when_asked_for(plugins):
    assert "yahoo" in registered()  # listing never raises
    with pytest.raises(CorpusError, match=r"corpus 'yahoo' is registered by more than one source "
                                          r"\(built-in; plugin fake-corpora 1\.0\); uninstall one of them or rename "
                                          r"the entry point"):
        corpus_info("yahoo")
    assert corpus_info("dbpedia").origin == "built-in"  # the others are untouched


def test_two_plugins_with_one_name_name_both(plugins):
    with pytest.raises(CorpusError, match=r"corpus 'dup' is registered by more than one source") as caught:
        load_corpus("dup")
    assert "plugin fake-corpora 1.0" in str(caught.value) and "plugin other-corpora 2.0" in str(caught.value)


def test_broken_plugins_say_which(plugins):
    with pytest.raises(CorpusError, match=r"corpus plugin 'broken' \(plugin fake-corpora 1\.0: no_such_module_xyz:load\) "
                                          r"failed to import: ModuleNotFoundError"):
        load_corpus("broken")
    with pytest.raises(CorpusError, match=r"corpus plugin 'wrong' returned int, expected tasks\.corpora\.Corpus"):
        load_corpus("wrong")
    with pytest.raises(CorpusError, match=r"corpus plugin 'misnamed' .* describes a corpus named 'other'"):
        corpus_info("misnamed")


def test_bench_list_shows_broken_and_clashing_plugins_and_the_rest(plugins, run_bench):
    res = run_bench("list", "corpora", "--wide")  # one row a line
    assert res.exit_code == 0, res.output
    rows = {line.split()[0]: line for line in res.output.splitlines()[3:] if line.strip()}
    assert "UNUSABLE: corpus plugin 'broken'" in rows["broken"] and "failed to import" in rows["broken"]
    assert "UNUSABLE: corpus 'yahoo' is registered by more than one source" in rows["yahoo"]
    assert "my corpus, described once" in rows["mine"] and "UNUSABLE" not in rows["dbpedia"]
    info = run_bench("data", "info", "broken")
    assert info.exit_code == 2 and "failed to import" in info.output


def test_unknown_name_keeps_did_you_mean(plugins):
    with pytest.raises(CorpusError, match=r"unknown corpus 'tinny' \(did you mean 'tiny'\?\)"):
        corpus_info("tinny")
