"""Before a run starts: its size is bounded (counted before any cell is made) and its time estimated."""
from __future__ import annotations

import pytest

from bench.errors import UserError
from bench.run.estimate import (ROUGH_EMBEDDING_SECONDS, ROUGH_SECONDS, ROUGH_UNTRAINED_SECONDS, estimate,
                                 neighbour_timings, stored_timings)
from bench.run.expand import Grid, expand


def test_a_grid_above_the_limit_is_refused_by_its_count_and_runs_with_the_flag():
    with pytest.raises(UserError, match=r"asks for 1,000,000,000,000 cells .*--yes-large-grid"):
        expand(Grid(methods=["ae"], corpora=["synthetic"], seeds=range(10**12)), max_cells=500)  # never built
    big = {"vae.beta": [str(b) for b in range(1, 101)], "latent_dim": [str(d) for d in range(2, 102)]}
    with pytest.raises(UserError, match=r"asks for 10,000 cells \(1 corpora × 1 seeds × 10,000 method and grid"):
        expand(Grid(methods=["vae"], corpora=["synthetic"], grid=big), max_cells=500)
    assert len(expand(Grid(methods=["ae", "vae"], corpora=["synthetic"], seeds=range(3)), max_cells=6)) == 6
    with pytest.raises(UserError, match="asks for 6 cells"):
        expand(Grid(methods=["ae", "vae"], corpora=["synthetic"], seeds=range(3)), max_cells=5)


def test_the_cli_refuses_a_million_seeds_in_one_line(run_bench, tmp_path):
    out = run_bench("run", "--methods", "ae", "--seeds", "1000000", "--results-dir", str(tmp_path / "r"))
    assert out.exit_code == 2
    assert out.output.startswith("error: this run asks for 1,000,000 cells") and "--yes-large-grid" in out.output
    assert not (tmp_path / "r").exists()


def _record(method, wall, rescored=False, status="ok", corpus="synthetic", preset="smoke", encoder=None, scoring=None):
    spec = {"method": method, "corpus": corpus, "preset": preset, **({"encoder": encoder} if encoder else {})}
    return {"spec": spec, "wall_seconds": wall, "status": status,
            "provenance": {"scoring": {"rescored": rescored, **({"eval_seconds": scoring} if scoring else {})}}}


def test_stored_timings_are_the_median_of_trained_finished_records_of_the_same_kind():
    records = [_record("ae", 10), _record("ae", 30), _record("ae", 20), _record("ae", 999, rescored=True),
               _record("ae", 999, status="failed"), _record("ae", 50, corpus="yahoo")]
    assert stored_timings(records) == {("ae", "synthetic", "smoke", ""): 20.0, ("ae", "yahoo", "smoke", ""): 50.0}


def test_a_rescored_record_times_its_kind_by_its_weights_training_plus_its_scoring():
    """A sweep re-scored under a new protocol has few trained records: a re-scored one keeps the training
    seconds of the run that made its weights, and with its scoring seconds stands for a trained cell."""
    rescored = _record("ae", 5, rescored=True, scoring=15)
    rescored["provenance"]["train_seconds"] = 60
    no_training_time = _record("ae", 999, rescored=True, scoring=15)  # an older record: nothing to add up
    assert stored_timings([rescored, no_training_time]) == {("ae", "synthetic", "smoke", ""): 75.0}
    assert stored_timings([rescored, _record("ae", 125)]) == {("ae", "synthetic", "smoke", ""): 100.0}
    assert neighbour_timings([rescored]) == {("synthetic", "smoke", ""): 75.0}
    vae = expand(Grid(methods=["vae"], corpora=["synthetic"]))
    est = estimate([(vae[0], None)], [rescored])
    assert (est.neighbours, est.seconds) == (1, 75.0)


def test_the_estimate_uses_stored_timings_and_says_when_it_falls_back_to_the_preset_figure():
    cells = (expand(Grid(methods=["ae"], corpora=["synthetic"], seeds=range(2)))
             + expand(Grid(methods=["vae"], corpora=["synthetic"], seeds=range(2), preset="cpu")))  # none stored
    records = [_record("ae", 40)]
    est = estimate([(c, None) for c in cells], records)
    assert est.measured == 2 and est.rough == 2 and est.neighbours == 0
    assert est.seconds == 2 * 40 + 2 * ROUGH_SECONDS["cpu"]
    line = est.line(4, 0, concurrency=2)
    assert line == ("to run: 4 cell(s), about 6 min with 2 at once (from stored timings of similar cells for 2, "
                    "rough per-preset figures for 2)")
    rescore = estimate([(cells[0], "models/x/model.pt")], records)  # stored weights: no training
    assert rescore.seconds == ROUGH_UNTRAINED_SECONDS and rescore.rough == 1
    assert "no stored timing" in estimate([(cells[2], None)], []).line(1, 0, 1)


def test_a_method_without_timings_is_timed_by_the_other_methods_on_its_corpus_and_preset():
    cells = expand(Grid(methods=["ae", "vae"], corpora=["synthetic"], seeds=range(2)))  # ae 0, ae 1, vae 0, vae 1
    records = [_record("ae", 40), _record("hsvae", 100), _record("hsvae", 200, corpus="yahoo"),
               {**_record("tfidf", 5), "reference": {"name": "tfidf"}}]  # a reference row is no neighbour
    assert neighbour_timings(records) == {("synthetic", "smoke", ""): 70.0, ("yahoo", "smoke", ""): 200.0}
    est = estimate([(c, None) for c in cells], records)
    assert (est.measured, est.neighbours, est.rough) == (2, 2, 0)
    assert est.seconds == 2 * 40 + 2 * 70
    assert est.line(4, 0, 1) == ("to run: 4 cell(s), about 4 min (from stored timings of similar cells for 2, stored "
                                 "timings of other methods on the same corpus, preset and backbone for 2)")
    only = estimate([(c, None) for c in cells[2:]], [_record("hsvae", 100)])
    assert only.line(2, 0, 1) == ("to run: 2 cell(s), about 3 min (from stored timings of other methods on the same "
                                  "corpus, preset and backbone)")


def test_the_backbone_separates_kinds_and_a_rescore_costs_the_stored_scoring_time():
    """An embedding-track cell trains in seconds on cached embeddings, a text cell of the same preset in
    minutes: neither is timed by the other.  A cell re-scored from kept weights costs its scoring alone."""
    text = expand(Grid(methods=["vae"], corpora=["synthetic"], preset="cpu"))
    emb = expand(Grid(methods=["vae"], corpora=["synthetic"], preset="cpu", overrides=(("backbone", "embedding"),),
                      encoder="all-MiniLM-L6-v2"))
    assert emb[0].spec.encoder and not text[0].spec.encoder
    records = [_record("hsvae", 500, preset="cpu", scoring=90), _record("vae", 400, preset="cpu", scoring=80)]
    on_emb = estimate([(emb[0], None)], records)  # text timings only: the embedding backbone's rough figure
    assert on_emb.seconds == ROUGH_EMBEDDING_SECONDS and on_emb.rough == 1
    emb_records = [_record("hsvae", 45, preset="cpu", encoder="all-MiniLM-L6-v2")]
    assert estimate([(emb[0], None)], records + emb_records).seconds == 45 and estimate(
        [(text[0], None)], records + emb_records).seconds == 400
    rescore = estimate([(text[0], "models/x/model.pt")], records + [_record("vae", 999, rescored=True, preset="cpu",
                                                                            scoring=100)])
    assert rescore.seconds == 90 and rescore.measured == 1  # the median of 80 and 100: scoring, not training


def _trained(method, corpus, wall, tokens_per_s, train_seconds, preset="smoke"):
    rec = _record(method, wall, corpus=corpus, preset=preset)
    rec["provenance"].update(train_tokens_per_s=tokens_per_s, train_seconds=train_seconds)
    return rec


def test_a_corpus_without_timings_is_timed_by_another_corpus_scaled_by_training_tokens():
    """A DBpedia cell of the reference preset reads about four times a Yahoo cell's tokens: timed per token
    from Yahoo's records (the same method's, else every method's), not per cell."""
    cells = expand(Grid(methods=["ae", "vae"], corpora=["synthetic"], seeds=range(1)))  # no synthetic records
    records = [_trained("ae", "yahoo", 100.0, 1000.0, 80.0),  # 80,000 tokens in 100 s wall: 1/800 s per token
               _trained("ae", "yahoo", 300.0, 1000.0, 100.0),  # 100,000 tokens in 300 s: 3/1000 s per token
               _trained("hsvae", "yahoo", 50.0, 1000.0, 50.0)]  # 50,000 tokens in 50 s: 1/1000
    est = estimate([(c, None) for c in cells], records, tokens_of=lambda cell: 400_000.0)
    ae_rate = (1 / 800 + 3 / 1000) / 2  # the median of two
    every_rate = 1 / 800  # the median of 1/1000, 1/800 and 3/1000: vae has no records, every method's rate
    assert (est.scaled, est.rough, est.measured) == (2, 0, 0)
    assert est.seconds == pytest.approx(400_000 * (ae_rate + every_rate))
    assert "stored timings on another corpus scaled by training tokens" in est.line(2, 0, 1)
    unknown = estimate([(cells[0], None)], records, tokens_of=lambda cell: None)  # the corpus could not be read
    assert (unknown.rough, unknown.seconds) == (1, ROUGH_SECONDS["smoke"])
    assert estimate([(cells[0], None)], records).rough == 1  # no token counter: the rough figure


def test_training_tokens_are_epochs_times_the_kept_sentences_times_the_splits_mean_length(tmp_path):
    from bench.run.estimate import training_tokens
    from tasks.corpora import load_corpus

    (cell,) = expand(Grid(methods=["ae"], corpora=["synthetic"], seeds=range(1)))
    split = load_corpus("synthetic", splits=(cell.spec.train_split,)).splits[cell.spec.train_split]
    n, tokens = len(split.labels), int(split.offsets[-1])
    train = cell.config["train"]
    kept = min(n, train["max_train_sentences"] or n)
    assert training_tokens(None)(cell) == pytest.approx(train["epochs"] * kept * tokens / n)
    (absent,) = expand(Grid(methods=["ae"], corpora=["yahoo"], seeds=range(1)))
    assert training_tokens(tmp_path)(absent) is None  # not in that data folder: no figure, and no error
