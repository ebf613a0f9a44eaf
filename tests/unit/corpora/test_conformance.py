"""The corpus conformance suite (:mod:`tasks.corpora.conformance`): every built-in passes it, and each rule
catches the corpus that breaks it, with a message that says what is expected."""
from __future__ import annotations

import dataclasses

import pytest

from tasks.corpora import corpus_info
from tasks.corpora.base import Corpus, Split
from tasks.corpora.conformance import CorpusConformance, CorpusConformanceError, check_corpus
from tasks.corpora.info import CorpusInfo
from tasks.corpora.synthetic import SyntheticSpec, make_synthetic


class TestSynthetic(CorpusConformance):
    corpus = "synthetic"


def test_the_real_corpora_pass_when_their_files_are_here(shared_data):
    for name in ("yahoo", "dbpedia"):
        check_corpus(corpus_info(name), {"data_dir": shared_data}, splits=("valid", "test"))


def _small(**changes) -> Corpus:
    return dataclasses.replace(make_synthetic(SyntheticSpec(train_size=40, valid_size=8, test_size=8)), **changes)


def _info(make) -> CorpusInfo:
    def load(splits=("train", "test"), **_):
        corpus = make()
        return dataclasses.replace(corpus, splits={s: corpus.splits[s] for s in splits})

    return CorpusInfo("broken", "a corpus that breaks one rule", load)


def _with(split: str, new: Split) -> Corpus:
    base = _small(name="broken")
    return dataclasses.replace(base, splits={**base.splits, split: new})


@pytest.mark.parametrize("make, why", [
    (lambda: _with("test", Split.from_sequences([[5, 6]] * 4, [0, 1, 0, 1])), "must end with <EOS>"),
    (lambda: _with("test", Split.from_sequences([[5, 0, 6, 1]] * 4, [0, 1, 0, 1])), "or <pad> (id 0)"),
    (lambda: _with("test", Split.from_sequences([[5, 10**6, 1]] * 4, [0, 1, 0, 1])), "outside the vocabulary"),
    (lambda: _with("test", Split.from_sequences([[5, 6, 1]] * 4, [0, 1, 0, 9])), "integers in [0, 4)"),
    (lambda: _with("train", Split.from_sequences([[5, 6, 1]] * 4, [0, 0, 0, 0])), "holds 1 class"),
    (lambda: _with("test", Split.from_sequences([[5] * 40 + [1]] * 4, [0, 1, 0, 1])), "more than its max_length"),
])
def test_each_rule_names_what_is_expected(make, why):
    with pytest.raises(CorpusConformanceError, match=f"corpus 'broken': .*{__import__('re').escape(why)}"):
        check_corpus(_info(make))


def test_a_loader_that_ignores_the_splits_or_is_random_is_caught():
    two = CorpusInfo("broken", "reads train and test, whatever it is asked", lambda **_: dataclasses.replace(
        _small(), splits={s: _small().splits[s] for s in ("train", "test")}))
    with pytest.raises(CorpusConformanceError, match="asked for splits"):
        check_corpus(two, splits=("valid", "test"))
    seeds = iter(range(10))
    random = _info(lambda: make_synthetic(SyntheticSpec(train_size=40, valid_size=8, test_size=8, seed=next(seeds))))
    with pytest.raises(CorpusConformanceError, match="checksums differ"):
        check_corpus(random)
    not_a_corpus = CorpusInfo("broken", "returns a list", lambda **_: [1, 2])
    with pytest.raises(CorpusConformanceError, match="returned list"):
        check_corpus(not_a_corpus)
