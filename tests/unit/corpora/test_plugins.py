"""Corpus plugins through the entry-point group ``sparsebench.corpora``: listed by name, loaded lazily."""
from __future__ import annotations

import importlib.metadata as md

import pytest

import tasks.corpora as corpora
from tasks.errors import CorpusError


def tiny_corpus(**options):
    from tasks.corpora.synthetic import SyntheticSpec, make_synthetic

    return make_synthetic(SyntheticSpec(train_size=8, valid_size=4, test_size=4))


def not_a_corpus(**options):
    return 42


@pytest.fixture
def plugins(monkeypatch):
    eps = md.EntryPoints([
        md.EntryPoint("tiny", f"{__name__}:tiny_corpus", corpora.ENTRY_POINT_GROUP),
        md.EntryPoint("broken", "no_such_module_xyz:load", corpora.ENTRY_POINT_GROUP),
        md.EntryPoint("wrong", f"{__name__}:not_a_corpus", corpora.ENTRY_POINT_GROUP),
        md.EntryPoint("yahoo", "evil:shadow", corpora.ENTRY_POINT_GROUP),
    ])
    monkeypatch.setattr(md, "entry_points", lambda group=None: eps if group == corpora.ENTRY_POINT_GROUP else ())
    saved = dict(corpora.CORPORA)
    corpora._register_plugins()
    yield
    corpora.CORPORA.clear()
    corpora.CORPORA.update(saved)


def test_plugin_is_registered_and_loads(plugins):
    assert corpora.corpus_info("tiny").origin.startswith("plugin")
    assert len(corpora.load_corpus("tiny", data_dir=None, splits=("train", "test")).split("train")) == 8
    assert corpora.corpus_info("yahoo").origin == "built-in"  # a plugin cannot shadow a built-in


def test_broken_plugins_say_which(plugins):
    with pytest.raises(CorpusError, match=r"corpus plugin 'broken' .* failed to import"):
        corpora.load_corpus("broken")
    with pytest.raises(CorpusError, match=r"corpus plugin 'wrong' returned int"):
        corpora.load_corpus("wrong")


def test_unknown_name_keeps_did_you_mean(plugins):
    with pytest.raises(CorpusError, match=r"did you mean 'tiny'"):
        corpora.corpus_info("tinny")
