"""User corpora: .tsv, .csv, .jsonl and a .toml naming split files and columns."""
from __future__ import annotations

import json

import numpy as np
import pytest

from tasks.corpora import corpus_info, load_corpus
from tasks.errors import CorpusError

ROWS = [(f"Review number {i} is {'GOOD' if i % 2 else 'bad'}!", "pos" if i % 2 else "neg") for i in range(20)]


def test_tsv_single_file_is_split_per_class(tmp_path, write):
    path = write(tmp_path / "reviews.tsv", ["text\tlabel", *(f"{t}\t{l}" for t, l in ROWS)])
    corpus = load_corpus(str(path))
    assert corpus.name == "reviews" and corpus.class_names == ("neg", "pos")
    assert len(corpus.split("train")) == 16 and len(corpus.split("test")) == 4
    assert np.bincount(corpus.split("test").labels).tolist() == [2, 2]
    assert "good!" in corpus.vocab and "GOOD!" not in corpus.vocab  # lower-cased, split on whitespace
    assert load_corpus(str(path)).checksum == corpus.checksum  # the held-out test is deterministic


def test_csv_with_quoted_fields(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text('label,text\n1,"hello, world"\n2,"a ""quoted"" line"\n1,again hello\n2,more\n1,x\n2,y\n')
    corpus = load_corpus(str(path), splits=("train", "test"))
    assert corpus.class_names == ("1", "2")
    assert "world" in corpus.vocab


def test_jsonl(tmp_path, write):
    path = write(tmp_path / "c.jsonl", [json.dumps({"text": t, "label": l}) for t, l in ROWS])
    assert load_corpus(str(path)).n_classes == 2


def test_toml_names_files_columns_and_tokenizer(tmp_path, write):
    write(tmp_path / "tr.tsv", ["stars\treview", *(f"{i % 3}\tIt's great, really{'!' * i}" for i in range(9))])
    write(tmp_path / "te.jsonl", [json.dumps({"review": "It's bad.", "stars": 2})])
    (tmp_path / "c.toml").write_text('name = "mine"\ntrain = "tr.tsv"\ntest = "te.jsonl"\ntext = "review"\n'
                                     'label = "stars"\ntoken_pattern = "\\\\w+|[^\\\\w\\\\s]"\nmax_length = 4\n')
    corpus = load_corpus(str(tmp_path / "c.toml"))
    assert corpus.name == "mine" and corpus.class_names == ("0", "1", "2")
    assert {"it", "'", "s", ","} <= set(corpus.vocab)
    assert corpus.split("train").truncated == 9 and corpus.max_length == 5
    assert corpus_info(str(tmp_path / "c.toml")).present() == ("train", "test")


def test_class_in_test_absent_from_train(tmp_path, write):
    write(tmp_path / "tr.tsv", ["text\tlabel", "a b\tx", "c d\ty"])
    write(tmp_path / "te.tsv", ["text\tlabel", "a\tx", "b\tz"])
    (tmp_path / "c.toml").write_text('train = "tr.tsv"\ntest = "te.tsv"\n')
    with pytest.raises(CorpusError, match=r"te\.tsv, line 3: class 'z' appears in the test split but never in"):
        load_corpus(str(tmp_path / "c.toml"))


@pytest.mark.parametrize("lines, message", [
    (["text\tstars", "a\t1"], r"line 1: no column 'label' in the header \(columns: text, stars\)"),
    (["text\tlabel", "a\t1", "", "b\t2"], "line 3: empty line"),
    (["text\tlabel", "a\t1", "b"], "line 3: 1 fields, the header has 2"),
    (["text\tlabel", "a\t"], "line 2: missing or empty label"),
    (["text\tlabel"], "has no records"),
])
def test_bad_tsv(tmp_path, write, lines, message):
    path = write(tmp_path / "c.tsv", lines)
    with pytest.raises(CorpusError, match=r"c\.tsv(, | )" + message):
        load_corpus(str(path))


def test_bad_jsonl_line(tmp_path, write):
    path = write(tmp_path / "c.jsonl", ['{"text": "a", "label": 1}', "{not json"])
    with pytest.raises(CorpusError, match=r"c\.jsonl, line 2: not valid JSON"):
        load_corpus(str(path))


def test_bad_toml(tmp_path):
    (tmp_path / "c.toml").write_text('train = "nope.tsv"\n')
    with pytest.raises(CorpusError, match=r"no such file .*nope\.tsv"):
        load_corpus(str(tmp_path / "c.toml"))
    (tmp_path / "c.toml").write_text('train = "c.toml"\ncolumns = 3\n')
    with pytest.raises(CorpusError, match=r"unknown key 'columns'"):
        load_corpus(str(tmp_path / "c.toml"))


def test_unknown_path_and_unknown_name():
    with pytest.raises(CorpusError, match="no such file"):
        corpus_info("missing/reviews.tsv")
    with pytest.raises(CorpusError, match=r"unknown corpus 'yahooo' \(did you mean 'yahoo'\?\)"):
        corpus_info("yahooo")


@pytest.mark.parametrize("spellings", [("1", "1.0"), ("2", "02"), ("1", "1e0")])
def test_one_number_spelled_two_ways_is_refused_not_split_into_two_classes(tmp_path, write, spellings):
    rows = [f"sentence {i}\t{spellings[(i + 1) % 2] if i % 3 else '0'}" for i in range(12)]  # first use: [0]
    path = write(tmp_path / "r.tsv", ["text\tlabel", *rows])
    with pytest.raises(CorpusError, match=rf"labels '{spellings[0]}' and '{spellings[1]}' are the same number"):
        load_corpus(str(path))


def test_words_that_are_not_numbers_keep_their_spellings(tmp_path, write):
    path = write(tmp_path / "r.tsv", ["text\tlabel", *(f"s {i}\t{'Pos' if i % 2 else 'pos'}" for i in range(10))])
    assert load_corpus(str(path)).class_names == ("Pos", "pos")  # case is the user's: two classes


def test_a_field_longer_than_the_csv_module_default_loads(tmp_path):
    """Python's csv stops at 131,072 characters a field; a long document is still one record."""
    long = " ".join(f"w{i}" for i in range(40_000))  # ~250K characters
    path = tmp_path / "long.tsv"
    path.write_text("text\tlabel\n" + f"{long}\t1\n" + "".join(f"short {i}\t{i % 2}\n" for i in range(9)))
    corpus = load_corpus(str(path), splits=("train", "test"))
    assert corpus.split("train").truncated >= 0 and corpus.n_classes == 2


def test_an_unsearchable_data_folder_is_one_line(tmp_path, monkeypatch):
    """A folder the process may not read (chmod 000; root ignores it, so simulated) is a CorpusError naming it."""
    import pathlib

    folder = tmp_path / "data" / "yahoo"
    folder.mkdir(parents=True)
    real = pathlib.Path.is_file

    def denied(self):
        if folder in self.parents or self == folder:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(pathlib.Path, "is_file", denied)
    with pytest.raises(CorpusError, match=r"cannot be read \(permission denied\)"):
        corpus_info("yahoo").present(tmp_path / "data")
    with pytest.raises(CorpusError, match=r"cannot be read \(permission denied\)"):
        load_corpus("yahoo", data_dir=tmp_path / "data", splits=("valid",))
