"""Loading and indexing a full-size Yelp train split: seconds, and well under 1 GB of resident memory.

The file is generated once per session in the Yang et al. format (label, tab, review): 100K reviews
of ~96 tokens over a 20K-word Zipf vocabulary, ~50 MB.  Time is recorded, not asserted; the memory
bound is asserted (it is not a timing) from a fresh process, so nothing else in the test session
inflates the peak.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pytest

from tasks.corpora import load_corpus

REVIEWS, MEAN_TOKENS, WORDS = 100_000, 96, 20_000
RSS_LIMIT_MB = 1024


@pytest.fixture(scope="session")
def yelp_data_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("yelp_bench")
    folder = root / "yelp"
    folder.mkdir()
    rng = np.random.default_rng(0)
    words = np.array([f"w{i}" for i in range(WORDS)], dtype=object)
    zipf = 1.0 / np.arange(1, WORDS + 1)
    lengths = np.clip(rng.normal(MEAN_TOKENS, 40, REVIEWS).astype(int), 20, 260)  # a few exceed the 200 limit
    tokens = words[rng.choice(WORDS, size=int(lengths.sum()), p=zipf / zipf.sum())]
    labels = rng.integers(0, 5, REVIEWS)
    ends = np.cumsum(lengths)
    with open(folder / "yelp.train.txt", "w") as fh:
        for label, start, end in zip(labels, ends - lengths, ends):
            fh.write(f"{label}\t{' '.join(tokens[start:end])}\n")
    return root


_PEAK = """
import json, resource, sys, time
from tasks.corpora import load_corpus
t = time.perf_counter()
corpus = load_corpus("yelp", data_dir=sys.argv[1], splits=("train",))
seconds = time.perf_counter() - t
split = corpus.split("train")
print(json.dumps({"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "seconds": seconds,
                  "sentences": len(split), "tokens": int(split.offsets[-1]), "truncated": split.truncated}))
"""


@pytest.mark.slow
def test_load_and_index_full_yelp_train(benchmark, yelp_data_dir):
    corpus = benchmark.pedantic(load_corpus, args=("yelp",), kwargs={"data_dir": yelp_data_dir, "splits": ("train",)},
                                rounds=1, iterations=1)
    train = corpus.split("train")
    assert len(train) == REVIEWS and train.ids.dtype == np.int32 and train.truncated > 0
    assert corpus.vocab_size <= WORDS + 3

    started = time.perf_counter()
    res = subprocess.run([sys.executable, "-c", _PEAK, str(yelp_data_dir)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    fresh = json.loads(res.stdout)
    benchmark.extra_info.update(peak_rss_mb=round(fresh["peak_rss_mb"], 1),
                                fresh_process_load_s=round(fresh["seconds"], 2),
                                subprocess_wall_s=round(time.perf_counter() - started, 2),
                                reviews=fresh["sentences"], tokens=fresh["tokens"], truncated=fresh["truncated"],
                                ids_mb=round(train.ids.nbytes / 2**20, 1))
    assert fresh["peak_rss_mb"] < RSS_LIMIT_MB, f"peak resident memory {fresh['peak_rss_mb']:.0f} MB"
