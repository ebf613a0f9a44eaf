"""sparsebench's corpus conformance suite, run against this plugin: subclassing it is the whole test."""
from __future__ import annotations

from sparsebench_seasons import SEASONS, load_seasons
from tasks.corpora.conformance import CorpusConformance


class TestSeasons(CorpusConformance):
    info = SEASONS


class TestSeasonsOnValid(CorpusConformance):
    info = SEASONS
    splits = ("valid", "test")


def test_a_split_is_the_same_whatever_else_is_read():
    alone = load_seasons(splits=("test",)).split("test")
    beside = load_seasons(splits=("train", "test")).split("test")
    assert (alone.labels == beside.labels).all() and len(alone) == 80
