"""yelp in the Yang et al. layout (label first, tab or space), on small files written here."""
from __future__ import annotations

import pytest

from tasks.corpora import load_corpus
from tasks.corpora.base import EOS, PAD, UNK
from tasks.errors import CorpusError


@pytest.fixture
def yelp_dir(tmp_path, write):
    folder = tmp_path / "yelp"
    folder.mkdir()
    write(folder / "yelp.train.txt", ["0\tthe food was bad", "4 great food and great service",
                                      "2\tok " + "word " * 250, "1\tslow service _UNK", "3 nice place"], gz=True)
    write(folder / "yelp.valid.txt", ["4\tgreat place", "0 bad"])
    write(folder / "yelp.test.txt", ["1\tthe service was slow", "3\tnice food zebra"])
    return tmp_path


def test_tab_or_space_after_the_label(yelp_dir):
    corpus = load_corpus("yelp", data_dir=yelp_dir)
    train = corpus.split("train")
    assert list(train.labels) == [0, 4, 2, 1, 3] and corpus.class_names == ("0", "1", "2", "3", "4")
    assert [corpus.vocab[i] for i in train.sentence(1)] == ["great", "food", "and", "great", "service", EOS]
    test = corpus.split("test")
    assert [corpus.vocab[i] for i in test.sentence(1)] == ["nice", "food", UNK, EOS]  # zebra: not in train


def test_vocabulary_is_built_from_the_training_split(yelp_dir):
    corpus = load_corpus("yelp", data_dir=yelp_dir)
    assert corpus.vocab[0] == PAD and corpus.vocab[-1] == EOS and UNK in corpus.vocab
    assert "zebra" not in corpus.vocab and "word" in corpus.vocab
    assert list(corpus.vocab[1:-1]) == sorted(corpus.vocab[1:-1])


def test_reviews_over_200_tokens_are_cut_and_counted(yelp_dir):
    train = load_corpus("yelp", data_dir=yelp_dir).split("train")
    assert train.truncated == 1 and train.lengths.max() == 201


def test_train_on_valid_when_train_is_missing(yelp_dir):
    (yelp_dir / "yelp" / "yelp.train.txt.gz").unlink()
    with pytest.raises(CorpusError, match=r"yelp\.train\.txt.*bench data download yelp"):
        load_corpus("yelp", data_dir=yelp_dir)
    with pytest.raises(CorpusError, match=r"yelp\.test\.txt, line 1: class 1 .*never in the valid split"):
        load_corpus("yelp", data_dir=yelp_dir, splits=("valid", "test"))


@pytest.mark.parametrize("line, message", [("5\tgood", r"label 5 is out of range.*0\.\.4"),
                                           ("four\tgood", "label 'four' is not an integer"),
                                           ("3", "expected '<label><tab or space><review>'")])
def test_bad_lines(yelp_dir, write, line, message):
    write(yelp_dir / "yelp" / "yelp.valid.txt", ["4\tgreat place", line])
    with pytest.raises(CorpusError, match=r"yelp\.valid\.txt, line 2: " + message):
        load_corpus("yelp", data_dir=yelp_dir)


def test_one_pass_vocabulary_equals_the_two_pass_definition():
    import numpy as np

    from tasks.corpora.indexing import encode_building_vocab, encode_split
    from tasks.corpora.vocab import top_k_vocab

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(60)] + ["_UNK", "<EOS>", "<pad>"]
    texts = [" ".join(rng.choice(words, size=rng.integers(1, 12))) for _ in range(300)]
    labels = np.zeros(300, dtype=np.int64)
    split, vocab = encode_building_vocab(texts, labels, max_length=5, max_size=25)
    expected_vocab = top_k_vocab(texts, max_size=25)
    assert vocab == expected_vocab and len(vocab) == 25 + 2  # 24 words + _UNK, <pad>, <EOS>
    index = {w: i for i, w in enumerate(vocab) if w != "<pad>"}
    expected = encode_split(texts, labels, index, eos=index["<EOS>"], unk=index["_UNK"], max_length=5)
    assert np.array_equal(split.ids, expected.ids) and np.array_equal(split.offsets, expected.offsets)
    assert split.truncated == expected.truncated > 0 and 0 not in split.ids
