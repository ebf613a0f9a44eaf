"""The corpus conformance suite: what any corpus, built-in or plugin, must give for the harness to trust it.

A corpus plugin's author subclasses :class:`CorpusConformance` in their own tests and names their corpus
(its registry name, or the :class:`~tasks.corpora.info.CorpusInfo` itself); every ``test_*`` method then
runs under pytest, as hydra's launcher tests and :mod:`methods.conformance` do::

    from tasks.corpora.conformance import CorpusConformance

    class TestMyCorpus(CorpusConformance):
        corpus = "my-corpus"          # or: info = MY_CORPUS (a CorpusInfo)
        options = {"data_dir": "tests/data"}

The checks are the harness's assumptions about a corpus, each with a message that says what is
expected: the description names the corpus and its classes; the loader returns a
:class:`~tasks.corpora.base.Corpus` with the splits asked for (the ``splits`` option); the
vocabulary starts with ``<pad>`` and holds ``<EOS>`` and ``_UNK``; every sentence ends in ``<EOS>``,
has no ``<pad>`` inside, fits ``max_length`` and uses only ids of the vocabulary; labels are class
indices, the training split holds at least two classes and every class another split has; loading
twice gives the same checksum; a declared length shape is consistent with the vocabulary.  Nothing
here needs pytest: :func:`check_corpus` raises :class:`CorpusConformanceError` on the first problem.
"""
from __future__ import annotations

from typing import Any, ClassVar, Mapping

import numpy as np

from tasks.corpora.base import EOS, PAD, UNK, Corpus
from tasks.corpora.info import CorpusInfo


class CorpusConformanceError(AssertionError):
    """A corpus broke a rule the harness relies on; the message says which and what is expected."""


def _fail(name: str, why: str) -> None:
    raise CorpusConformanceError(f"corpus {name!r}: {why}")


def describe_check(info: CorpusInfo) -> None:
    """The description: named, with at least two classes when it declares them, and a sensible shape."""
    if not info.name or not info.description.strip():
        _fail(info.name, "its CorpusInfo needs a name and a one-line description (bench list corpora shows it)")
    if info.class_names and len(info.class_names) < 2:
        _fail(info.name, f"declares {len(info.class_names)} class; the probes need at least 2")
    if info.shape is not None and info.max_length is not None and info.shape.max_tokens > info.max_length:
        _fail(info.name, f"its shape's max_tokens {info.shape.max_tokens} exceeds its max_length {info.max_length}")


def load_check(info: CorpusInfo, options: Mapping[str, Any], splits: tuple[str, ...]) -> Corpus:
    """The loader returns a :class:`Corpus` holding every split asked for (a generated corpus may hold more)."""
    corpus = info.loader(**{**options, "splits": splits})
    if not isinstance(corpus, Corpus):
        _fail(info.name, f"its loader returned {type(corpus).__name__}; it must return a tasks.corpora.Corpus")
    missing = [s for s in splits if s not in corpus.splits]
    if missing:
        _fail(info.name, f"asked for splits {splits}, it has {tuple(corpus.splits)}: the loader must read the "
                         "splits it is given (the `splits` option, training split first)")
    return corpus


def vocabulary_check(corpus: Corpus) -> None:
    """``<pad>`` is id 0, ``<EOS>`` and ``_UNK`` are in the vocabulary, words are unique."""
    vocab = corpus.vocab
    if vocab[0] != PAD or EOS not in vocab or UNK not in vocab:
        _fail(corpus.name, f"its vocabulary must start with {PAD!r} and hold {EOS!r} and {UNK!r} "
                           "(tasks.corpora.vocab.vocab_ids lays them out)")
    if len(set(vocab)) != len(vocab):
        _fail(corpus.name, "its vocabulary repeats a word: two ids for one word")


def sentences_check(corpus: Corpus) -> None:
    """Every sentence of every split: ends in ``<EOS>``, no ``<pad>`` inside, ids in range, within max_length."""
    eos, size = corpus.eos_id, corpus.vocab_size
    for name, split in corpus.splits.items():
        if len(split) == 0:
            _fail(corpus.name, f"its {name} split is empty")
        lengths = split.lengths
        if (lengths < 2).any():
            _fail(corpus.name, f"{name} sentence {int(np.argmax(lengths < 2))} has no word before <EOS>")
        if int(lengths.max()) > corpus.max_length:
            _fail(corpus.name, f"a {name} sentence has {int(lengths.max())} ids, more than its max_length "
                               f"{corpus.max_length} (<EOS> included): cut sentences when loading and count them")
        if not np.array_equal(split.ids[split.offsets[1:] - 1], np.full(len(split), eos)):
            _fail(corpus.name, f"every {name} sentence must end with <EOS> (id {eos})")
        body = np.ones(len(split.ids), dtype=bool)
        body[split.offsets[1:] - 1] = False
        if (split.ids[body] == eos).any() or (split.ids == 0).any():
            _fail(corpus.name, f"a {name} sentence holds <EOS> before its end or <pad> (id 0): only the last id "
                               "of a sentence is <EOS>, and padding is the harness's")
        if split.ids.min(initial=0) < 0 or split.ids.max(initial=0) >= size:
            _fail(corpus.name, f"a {name} sentence uses an id outside the vocabulary [0, {size})")


def labels_check(corpus: Corpus, train: str) -> None:
    """Labels index the class names; the training split holds two classes and every class of the others."""
    n = corpus.n_classes
    for name, split in corpus.splits.items():
        labels = np.asarray(split.labels)
        if labels.dtype.kind not in "iu" or (len(labels) and (labels.min() < 0 or labels.max() >= n)):
            _fail(corpus.name, f"{name} labels must be integers in [0, {n}) indexing its {n} class names")
    seen = set(np.unique(corpus.split(train).labels).tolist())
    if len(seen) < 2:
        _fail(corpus.name, f"its {train} split holds {len(seen)} class; the probes fit on it and need 2")
    for name, split in corpus.splits.items():
        unseen = sorted(set(np.unique(split.labels).tolist()) - seen)
        if unseen:
            _fail(corpus.name, f"{name} has classes {[corpus.class_names[i] for i in unseen]} that {train} lacks: "
                               "a probe cannot predict a class it never saw")


def determinism_check(info: CorpusInfo, options: Mapping[str, Any], splits: tuple[str, ...], first: Corpus) -> None:
    """Loading again gives the same data (the checksum a record names must mean one corpus)."""
    again = load_check(info, options, splits)
    if again.checksum != first.checksum:
        _fail(info.name, "two loads gave different data (checksums differ): seed any randomness in the loader")


def shape_check(info: CorpusInfo, corpus: Corpus) -> None:
    """A declared length shape is the corpus's: ``bench profile`` draws sentences like it when files are absent."""
    if info.shape is None:
        return
    if info.shape.max_tokens > corpus.max_length - 1:
        _fail(info.name, f"its shape allows {info.shape.max_tokens} tokens, its sentences at most "
                         f"{corpus.max_length - 1} before <EOS>")


def check_corpus(info: CorpusInfo, options: Mapping[str, Any] | None = None,
                 splits: tuple[str, ...] = ("train", "test")) -> Corpus:
    """Every check on ``info`` loaded with ``options`` (e.g. ``data_dir``); the corpus, or the first problem."""
    options = dict(options or {})
    describe_check(info)
    corpus = load_check(info, options, splits)
    vocabulary_check(corpus)
    sentences_check(corpus)
    labels_check(corpus, splits[0])
    determinism_check(info, options, splits, corpus)
    shape_check(info, corpus)
    if info.class_names and tuple(corpus.class_names) != tuple(info.class_names):
        _fail(info.name, f"its description declares classes {info.class_names}, its corpus has {corpus.class_names}")
    return corpus


class CorpusConformance:
    """Subclass as ``Test<YourCorpus>``; set ``corpus`` (a registry name) or ``info``, and ``options``."""

    corpus: ClassVar[str] = ""
    info: ClassVar[CorpusInfo | None] = None
    #: loader options (``data_dir``: where your test files are)
    options: ClassVar[Mapping[str, Any]] = {}
    #: the splits to check, training split first
    splits: ClassVar[tuple[str, ...]] = ("train", "test")

    def corpus_info(self) -> CorpusInfo:
        if self.info is not None:
            return self.info
        if not self.corpus:
            raise CorpusConformanceError("set `corpus = \"name\"` (its registry name) or `info = YOUR_CORPUS_INFO`")
        from tasks.corpora import corpus_info

        return corpus_info(self.corpus)

    def test_the_description_is_complete(self) -> None:
        describe_check(self.corpus_info())

    def test_the_loader_reads_the_splits_asked_for(self) -> None:
        load_check(self.corpus_info(), self.options, self.splits)

    def test_the_vocabulary_has_the_harness_tokens(self) -> None:
        vocabulary_check(load_check(self.corpus_info(), self.options, self.splits))

    def test_every_sentence_is_well_formed(self) -> None:
        sentences_check(load_check(self.corpus_info(), self.options, self.splits))

    def test_labels_index_the_classes_and_train_has_them_all(self) -> None:
        labels_check(load_check(self.corpus_info(), self.options, self.splits), self.splits[0])

    def test_loading_twice_gives_the_same_data(self) -> None:
        info = self.corpus_info()
        determinism_check(info, self.options, self.splits, load_check(info, self.options, self.splits))

    def test_everything_at_once(self) -> None:
        check_corpus(self.corpus_info(), self.options, self.splits)
