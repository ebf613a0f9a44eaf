"""`bench profile --json` prints the figures a user compares, also where the corpus files are absent."""
from __future__ import annotations

import json

import pytest

KEYS = ("train_tokens_per_s", "encode_sentences_per_s", "achieved_gflops", "peak_gflops", "mfu", "peak_rss_mb")


def test_profile_json_on_synthetic_with_baseline(run_bench):
    res = run_bench("profile", "--method", "vae", "--corpus", "synthetic", "--preset", "smoke", "--steps", "2",
                    "--baseline", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    for key in KEYS:
        assert out[key] > 0, key
    assert 0 < out["mfu"] < 1.5
    assert out["baseline"]["implementation"] == "straightforward padded"
    assert out["speedup_train"] > 0


def test_profile_shapes_data_like_a_corpus_whose_files_are_absent(run_bench, tmp_path):
    res = run_bench("profile", "--method", "hsvae", "--corpus", "yelp", "--preset", "smoke", "--steps", "1",
                    "--batch-size", "8", "--data-dir", str(tmp_path), "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["data"].startswith("synthetic, shaped like yelp (20-200 tokens")
    assert out["train_flops_per_step"] > 8 * 20 * 2 * 64 * 20002  # at least 20 tokens a review, vocabulary 20K


@pytest.mark.parametrize("args,message", [(["--corpus", "imdb"], "unknown corpus 'imdb'"),
                                          (["--method", "hsvea"], "did you mean 'hsvae'")])
def test_profile_bad_input(run_bench, args, message):
    res = run_bench("profile", "--preset", "smoke", *args)
    assert res.exit_code == 2 and message in res.output


def _profile_json(run_bench, corpus: str, data_dir) -> dict:
    res = run_bench("profile", "--method", "vae", "--corpus", corpus, "--preset", "smoke", "--steps", "1",
                    "--batch-size", "4", "--data-dir", str(data_dir), "--json")
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def test_profile_uses_the_real_split_that_is_on_disk(run_bench, shared_data):
    from tasks.corpora import load_corpus

    out = _profile_json(run_bench, "yahoo", shared_data)
    assert out["data"] == "real yahoo valid split"  # train.txt is absent there
    real = load_corpus("yahoo", data_dir=shared_data, splits=("valid",))
    assert (out["vocab_size"], out["eos_id"]) == (real.vocab_size, real.eos_id)


@pytest.fixture
def loaded_by_its_own_loader(request, tmp_path):
    """corpus → the corpus as its own loader reads it: the real yahoo/dbpedia files, and for yelp (none
    at hand) a training split written here with more distinct words than the 20K vocabulary keeps."""
    from tasks.corpora import load_corpus

    def load(corpus: str):
        if corpus != "yelp":
            return load_corpus(corpus, data_dir=request.getfixturevalue("shared_data"), splits=("valid",))
        folder = tmp_path / "files" / "yelp"
        folder.mkdir(parents=True)
        words = [f"w{i:05d}" for i in range(25_000)]
        (folder / "yelp.train.txt").write_text("".join(f"{i % 5}\t{' '.join(words[i::250])}\n" for i in range(250)))
        return load_corpus("yelp", data_dir=tmp_path / "files", splits=("train",))

    return load


@pytest.mark.parametrize("corpus", ["yahoo", "dbpedia", "yelp"])
def test_shaped_data_uses_the_corpus_s_own_eos_id(run_bench, tmp_path, loaded_by_its_own_loader, corpus):
    """Files absent: the model is built with the <EOS> id and vocabulary size the corpus's loader gives."""
    empty = tmp_path / "empty"
    empty.mkdir()
    out = _profile_json(run_bench, corpus, empty)
    assert out["data"].startswith(f"synthetic, shaped like {corpus} (")
    real = loaded_by_its_own_loader(corpus)
    assert real.vocab[0] == "<pad>" and real.vocab[real.eos_id] == "<EOS>"
    assert (out["vocab_size"], out["eos_id"]) == (real.vocab_size, real.eos_id)
