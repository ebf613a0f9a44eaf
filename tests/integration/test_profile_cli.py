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


def test_profile_uses_the_real_split_that_is_on_disk(run_bench, shared_data):
    res = run_bench("profile", "--method", "vae", "--corpus", "yahoo", "--preset", "smoke", "--steps", "1",
                    "--batch-size", "8", "--data-dir", str(shared_data), "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["data"] == "real yahoo valid split"  # train.txt is absent there
