"""yahoo/dbpedia in the HSVAE layout: the real figures, the original vocabulary, and every bad input."""
from __future__ import annotations

import numpy as np
import pytest

from tasks.corpora import load_corpus
from tasks.corpora.base import EOS, PAD, UNK
from tasks.corpora.stats import corpus_stats
from tasks.errors import CorpusError


def test_real_yahoo_matches_the_readme(shared_data):
    corpus = load_corpus("yahoo", data_dir=shared_data, splits=("valid", "test"))
    stats = {s.name: s for s in corpus_stats(corpus)}
    assert corpus.vocab_size == 20_002 and corpus.vocab[0] == PAD and corpus.vocab[-1] == EOS
    assert "" in corpus.vocab  # yahoo's empty-string entry keeps its id, as in the original loader
    assert (stats["valid"].sentences, stats["test"].sentences) == (10_000, 10_000)
    assert (stats["valid"].min_length, round(stats["valid"].avg_length, 1), stats["valid"].max_length) == (5, 12.4, 30)
    assert corpus.n_classes == 10 and stats["test"].class_counts == (1000,) * 10
    assert stats["valid"].truncated == stats["test"].truncated == 0
    assert corpus.class_names[0] == "Society & Culture"


def test_real_dbpedia_matches_the_readme(shared_data):
    corpus = load_corpus("dbpedia", data_dir=shared_data, splits=("valid", "test"))
    stats = {s.name: s for s in corpus_stats(corpus)}
    assert stats["valid"].sentences == stats["test"].sentences == 14_000
    assert (stats["valid"].min_length, stats["valid"].max_length) == (1, 60)
    assert round((stats["valid"].avg_length + stats["test"].avg_length) / 2, 1) == 35.3
    assert corpus.n_classes == 14 and corpus.vocab_size == 20_002


def test_vocabulary_and_ids_as_the_original_loader(hsvae_dir):
    corpus = load_corpus("yahoo", data_dir=hsvae_dir)
    assert corpus.vocab == (PAD, "", "_UNK", "a", "cat", "dog", "ran", "sat", "the", EOS)
    ids = corpus.split("train").sentence(0)  # "the cat sat"
    assert [corpus.vocab[i] for i in ids] == ["the", "cat", "sat", EOS]
    unknown = corpus.split("train").sentence(2)  # "the bird flew away home"
    assert [corpus.vocab[i] for i in unknown] == ["the", UNK, UNK, UNK, UNK, EOS]
    assert corpus.split("train").ids.dtype == np.int32


def test_truncation_is_counted_not_silent(hsvae_dir):
    corpus = load_corpus("yahoo", data_dir=hsvae_dir, max_length=3)
    train = corpus.split("train")
    assert train.truncated == 3 and train.lengths.max() == 4  # 3 tokens + <EOS>
    assert "train 3 of 4" in corpus.source


def test_missing_train_names_file_and_download_command(hsvae_dir):
    (hsvae_dir / "yahoo" / "train.txt").unlink()
    with pytest.raises(CorpusError, match=r"train\.txt.*bench data download yahoo.*--train-split valid"):
        load_corpus("yahoo", data_dir=hsvae_dir)
    corpus = load_corpus("yahoo", data_dir=hsvae_dir, splits=("valid", "test"))  # lazily: train is not read
    assert set(corpus.splits) == {"valid", "test"} and corpus.notes["vocab_split"] == "valid"


def test_missing_corpus_folder(tmp_path):
    with pytest.raises(CorpusError, match=r"no yahoo corpus at .*bench data download yahoo"):
        load_corpus("yahoo", data_dir=tmp_path)


def test_line_counts_that_differ(hsvae_dir, write):
    write(hsvae_dir / "yahoo" / "test_class_label.txt", [1, 2, 2])
    with pytest.raises(CorpusError, match=r"test_class_label\.txt, line 3: has no partner in .*test\.txt"):
        load_corpus("yahoo", data_dir=hsvae_dir)


@pytest.mark.parametrize("bad, message", [("x", r"label 'x' is not an integer"), ("1.5", "label .1.5. is not an integer"),
                                          ("10", r"label 10 is out of range.*10 classes"),
                                          ("-1", "label -1 is out of range")])
def test_bad_label(hsvae_dir, write, bad, message):
    write(hsvae_dir / "yahoo" / "valid_class_label.txt", [0, bad])
    with pytest.raises(CorpusError, match=r"valid_class_label\.txt, line 2: " + message):
        load_corpus("yahoo", data_dir=hsvae_dir)


def test_class_in_test_absent_from_train(hsvae_dir, write):
    write(hsvae_dir / "yahoo" / "test_class_label.txt", [1, 7])
    with pytest.raises(CorpusError, match=r"test_class_label\.txt, line 2: class 7 .*never in the train split"):
        load_corpus("yahoo", data_dir=hsvae_dir)


def test_empty_line_in_texts(hsvae_dir, write):
    write(hsvae_dir / "yahoo" / "valid.txt", ["the cat", ""])
    with pytest.raises(CorpusError, match=r"valid\.txt, line 2: empty line"):
        load_corpus("yahoo", data_dir=hsvae_dir)


def test_empty_split(hsvae_dir):
    (hsvae_dir / "yahoo" / "test.txt").write_bytes(b"")
    with pytest.raises(CorpusError, match=r"test\.txt is empty"):
        load_corpus("yahoo", data_dir=hsvae_dir)


def test_undecodable_text(hsvae_dir):
    (hsvae_dir / "yahoo" / "test.txt").write_bytes(b"the dog\n\xff\xfe cat\n")
    with pytest.raises(CorpusError, match=r"test\.txt, line 2: .*UTF-8"):
        load_corpus("yahoo", data_dir=hsvae_dir)


def test_corrupt_gz_texts(hsvae_dir):
    folder = hsvae_dir / "yahoo"
    (folder / "test.txt").unlink()
    (folder / "test.txt.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(CorpusError, match=r"test\.txt\.gz, line 1: corrupt gzip"):
        load_corpus("yahoo", data_dir=hsvae_dir)


def test_without_vocab_file_uses_top_words_of_train(hsvae_dir):
    (hsvae_dir / "yahoo" / "vocab.txt").unlink()
    corpus = load_corpus("yahoo", data_dir=hsvae_dir)
    assert "bird" in corpus.vocab and UNK in corpus.vocab and corpus.vocab[0] == PAD
    assert "train" in corpus.notes["vocab"]
