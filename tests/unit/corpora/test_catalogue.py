"""Each corpus is described once: file names, sources, shape and classes live in its declaration only,
and the loaders, the download and the description text read them from there."""
from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from tasks.corpora import catalogue, load_corpus
from tasks.corpora.base import EOS
from tasks.corpora.info import CorpusInfo, FileLayout, LengthShape, RemoteFile
from tasks.corpora.vocab import shipped_vocab, top_k_vocab

REPO = Path(__file__).resolve().parents[3]
FILE_CORPORA = ("yahoo", "dbpedia", "yelp")


def _code_strings(path: Path) -> set[str]:
    """String constants of a module's code, docstrings left out (prose may name a file)."""
    tree = ast.parse(path.read_text())
    docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    return {n.value for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings}


def _facts(info: CorpusInfo) -> set[str]:
    layout = info.layout
    facts = {layout.text, *(p for p in (layout.label, layout.vocab) if p)}
    for remote in info.sources:
        facts |= {remote.repo, remote.ref, remote.path, *(c for c in (remote.blob, remote.sha256) if c)}
    return facts


def test_file_names_sources_and_shapes_are_written_in_one_place():
    modules = [p for folder in ("tasks", "bench") for p in (REPO / folder).rglob("*.py")]
    assert modules
    home = Path(catalogue.__file__).resolve()
    for path in modules:
        if path.resolve() == home:
            continue
        strings = _code_strings(path)
        for name in FILE_CORPORA:
            repeated = _facts(catalogue.BUILTIN_CORPORA[name]) & strings
            assert not repeated, f"{path.relative_to(REPO)} repeats {name}'s {sorted(repeated)}"
        calls = [n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Call)
                 and getattr(n.func, "id", getattr(n.func, "attr", "")) == "LengthShape"]
        assert not calls, f"{path.relative_to(REPO)} declares a LengthShape outside the catalogue"


@pytest.mark.parametrize("name", FILE_CORPORA)
def test_description_text_is_composed_from_the_facts(name):
    info = catalogue.BUILTIN_CORPORA[name]
    assert f"{len(info.class_names)} classes" in info.description
    assert f"max {info.max_length} tokens" in info.description and f"bench data download {name}" in info.description
    assert {r.name for r in info.sources} <= set(info.layout.names())


def test_the_hsvae_loader_reads_its_description(hsvae_dir, monkeypatch):
    yahoo = catalogue.BUILTIN_CORPORA["yahoo"]
    renamed = dataclasses.replace(yahoo, max_length=2, class_names=("x", "y", "z"), shape=None, sources=(),
                                  layout=FileLayout(text="{split}.txt", label="{split}_class_label.txt", vocab=None))
    monkeypatch.setitem(catalogue.BUILTIN_CORPORA, "yahoo", renamed)
    corpus = load_corpus("yahoo", data_dir=hsvae_dir)
    assert corpus.class_names == ("x", "y", "z") and corpus.max_length == 3
    assert "top 20,000 words" in corpus.notes["vocab"]  # vocab=None: the shipped vocab.txt is not read


def test_the_yelp_loader_reads_its_description(tmp_path, write, monkeypatch):
    yelp = dataclasses.replace(catalogue.BUILTIN_CORPORA["yelp"], layout=FileLayout(text="reviews-{split}.tsv"),
                               sources=())
    monkeypatch.setitem(catalogue.BUILTIN_CORPORA, "yelp", yelp)
    (tmp_path / "yelp").mkdir()
    write(tmp_path / "yelp" / "reviews-train.tsv", ["4\tgreat food", "0\tbad food"])
    assert yelp.present(tmp_path) == ("train",)
    assert list(load_corpus("yelp", data_dir=tmp_path, splits=("train",)).split("train").labels) == [4, 0]


@pytest.mark.parametrize("words", [1, 5, 37])
def test_the_shape_lays_out_ids_as_the_loaders_do(tmp_path, write, words):
    shape = LengthShape(min_tokens=1, mean_tokens=2.0, max_tokens=3, words=words)
    shipped = shipped_vocab(write(tmp_path / "vocab.txt", [*(f"w{i:03d}" for i in range(words - 1)), "_UNK"]))
    assert (len(shipped), shipped.index(EOS)) == (shape.vocab_size, shape.eos_id)
    texts = [" ".join(f"t{i}" for i in range(words + 10))]
    top = top_k_vocab(texts, max_size=words)
    assert (len(top), top.index(EOS)) == (shape.vocab_size, shape.eos_id)


@pytest.mark.parametrize("name", ["yahoo", "dbpedia"])
def test_the_declared_shape_matches_the_real_files(shared_data, name):
    info = catalogue.BUILTIN_CORPORA[name]
    corpus = load_corpus(name, data_dir=shared_data, splits=("valid",))
    assert (corpus.vocab_size, corpus.eos_id) == (info.shape.vocab_size, info.shape.eos_id)
    lengths = corpus.split("valid").lengths - 1  # without <EOS>
    assert (lengths.min(), lengths.max()) == (info.shape.min_tokens, info.shape.max_tokens)


def _load(**_):
    raise AssertionError("never called")


@pytest.mark.parametrize("make, message", [
    (lambda: LengthShape(5, 4.0, 30, 10), r"0 < min_tokens < mean_tokens < max_tokens, got 5, 4\.0, 30"),
    (lambda: LengthShape(1, 4.0, 30, 0), r"words must be >= 1"),
    (lambda: FileLayout(text="train.txt"), r"must contain \{split\}"),
    (lambda: CorpusInfo("c", "d", _load, max_length=10, shape=LengthShape(1, 4.0, 30, 10)),
     r"corpus 'c': shape\.max_tokens 30 exceeds max_length 10"),
    (lambda: CorpusInfo("c", "d", _load, layout=FileLayout(text="{split}.txt"),
                        sources=(RemoteFile("o/r", "main", "data/other.txt", "other.txt", blob="0" * 40),)),
     r"source 'data/other\.txt' is saved as 'other\.txt', which its layout never reads; expected one of "
     r"train\.txt, valid\.txt, test\.txt"),
    (lambda: CorpusInfo("c", "d", _load, layout=FileLayout(text="{split}.txt"),
                        sources=(RemoteFile("o/r", "main", "train.txt", "train.txt"),)),
     r"neither a git blob id nor a sha256"),
])
def test_a_bad_declaration_says_what_is_wrong(make, message):
    with pytest.raises(ValueError, match=message):
        make()
