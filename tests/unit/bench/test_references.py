"""Reference rows: scored by the methods' own probe path, cached like cells, marked and never ranked in the table."""
from __future__ import annotations

import json
import zlib

import numpy as np
import pytest
import torch

from bench.cells.method import run_cell
from bench.data.prepare import load_data
from bench.cells.evaluate import encode_split
from bench.report.leaderboard import render
from bench.cells.models import build_model, load_weights
from bench.cells.reference import ReferenceSpec, references_for, run_references
from bench.run.driver import expand
from bench.config.spec import RunSpec
from bench.store.results import Store
from tasks.references import score_codes
from tasks.scoring import ScoringConfig

#: Tiny and fast: 200 training sentences, one epoch, a two-size probe sweep.
BASE = (("epochs", "1"), ("max_train_sentences", "200"), ("probe_sizes", "5,all"), ("probe_repeats", "2"))
QUIET = {"echo": lambda s: None}


@pytest.fixture(scope="module")
def computed(tmp_path_factory):
    """The text-track references of an ae + vae run on the synthetic corpus, computed once."""
    store = Store(tmp_path_factory.mktemp("refs"))
    specs = expand(["ae", "vae"], ["synthetic"], [0], "smoke", BASE)
    return specs, store, run_references(specs, store, **QUIET)


def test_a_methods_own_codes_through_the_reference_path_reproduce_its_probe_numbers():
    """The reference scoring path is the methods' one: same probe, same split, same seed handling."""
    spec = RunSpec("ae", "synthetic", 1, "smoke", BASE)
    record = run_cell(spec)
    shape, train, test, _ = load_data(spec, None, lambda s: None)
    model = load_weights(build_model("ae", spec.config["method_config"], shape), record["_weights"])
    cpu = torch.device("cpu")
    size = spec.config["train"]["eval_batch_size"]  # the cell's batches: a row's float rounding may depend on them
    train_codes, _ = encode_split(model, train, "code", size, cpu)
    test_codes, _ = encode_split(model, test, "code", size, cpu)
    config = ScoringConfig.from_dict(spec.config["eval"])
    got = score_codes(train_codes, train.labels, test_codes, test.labels, seed=spec.seed, config=config,
                      exact_zeros=False)
    want = record["metrics"]["modes"]["code"]
    assert got.scalars == want
    assert got.analysis["probes"] == record["metrics"]["analysis"]["code"]["probes"]
    # the seed reaches the probe's subsamples: another seed gives other @5 numbers, so the equality is not vacuous
    other = score_codes(train_codes, train.labels, test_codes, test.labels, seed=spec.seed + 1, config=config,
                        exact_zeros=False)
    assert other.scalars["probe_accuracy@5"] != want["probe_accuracy@5"]


def test_a_reference_reads_the_cells_split_subsample_and_seed():
    cell = RunSpec("hsvae", "synthetic", 2, "smoke", BASE)
    _, train, test, info = load_data(RunSpec("ae", "synthetic", 2, "smoke", BASE), None, lambda s: None)
    for name in ("tfidf", "tfidf-svd", "untrained"):
        ref = ReferenceSpec(name, cell)
        _, rtrain, rtest, rinfo = load_data(ref.model_spec, None, lambda s: None)
        np.testing.assert_array_equal(rtrain.padded, train.padded)  # the same seeded 200-sentence subsample
        np.testing.assert_array_equal(rtest.labels, test.labels)
        assert rinfo["train_sentences"] == info["train_sentences"] == 200
        assert ref.config["seed"] == 2 and ref.config["eval"] == cell.config["eval"]


def test_references_are_computed_once_stored_marked_and_reused(computed):
    specs, store, first = computed
    assert [(o.ref.name, o.status) for o in first.outcomes] == [
        ("tfidf", "computed"), ("tfidf-svd", "computed"), ("untrained", "computed")]  # ae and vae share them
    folders = sorted(p.name for p in store.runs.iterdir())
    assert len(folders) == 3 and all(f.startswith("ref-") for f in folders)
    for folder in folders:
        record = json.loads((store.runs / folder / "record.json").read_text())
        assert record["reference"]["name"] in folder and record["status"] == "ok"
        assert record["provenance"]["checksums"]["corpus"] and record["provenance"]["train_sentences"] == 200
    second = run_references(specs, store, **QUIET)
    assert [o.status for o in second.outcomes] == ["cached"] * 3
    assert [o.record["cell_id"] for o in second.outcomes] == [o.record["cell_id"] for o in first.outcomes]
    assert second.line() == "references: 0 computed, 3 cached"
    # a reference trains nothing: --resume cache-only adds it to a finished grid, and reuses it after
    fresh = Store(store.root / "fresh")
    assert [o.status for o in run_references(specs, fresh, resume="cache-only", **QUIET).outcomes] == ["computed"] * 3
    assert [o.status for o in run_references(specs, fresh, resume="cache-only", **QUIET).outcomes] == ["cached"] * 3
    assert [o.status for o in run_references(specs, fresh, resume="always", **QUIET).outcomes] == ["computed"] * 3


def test_a_stored_reference_scored_by_other_scorers_is_recomputed(computed, tmp_path):
    specs, store, _ = computed
    copy = Store(tmp_path)
    for folder in store.runs.iterdir():
        record = json.loads((folder / "record.json").read_text())
        copy.save(folder.name, dict(record, scorers=["probes:built-in"]))  # as if scored before a metric was added
    assert [o.status for o in run_references(specs, copy, **QUIET).outcomes] == ["computed"] * 3


def test_identity_follows_seed_latent_size_subsample_and_scoring():
    def key(name, *extra, seed=0):
        return ReferenceSpec(name, RunSpec("ae", "synthetic", seed, "smoke", BASE + extra)).identity({"corpus": "c"})

    base = key("tfidf-svd")
    assert key("tfidf-svd") == base
    assert len({base, key("tfidf-svd", seed=1), key("tfidf-svd", ("latent_dim", "8")),
                key("tfidf-svd", ("max_train_sentences", "300")), key("tfidf-svd", ("probe_repeats", "3")),
                key("tfidf")}) == 6
    assert key("tfidf", ("latent_dim", "8")) == key("tfidf")  # full TF-IDF has no latent size
    assert key("tfidf", ("epochs", "5")) == key("tfidf")  # nor does training length matter to it
    spec = ReferenceSpec("tfidf", RunSpec("ae", "synthetic", 0, "smoke", BASE))
    assert spec.identity({"corpus": "a"}) != spec.identity({"corpus": "b"})  # the corpus checksum


def test_tfidf_svd_has_the_latent_size_and_tfidf_stays_sparse(computed):
    _, _, first = computed
    by = {o.ref.name: o.record for o in first.outcomes}
    svd = by["tfidf-svd"]
    assert svd["config"]["method_config"] == {"latent_dim": 16}
    assert svd["provenance"]["reference"]["svd"]["components"] == 16
    assert svd["metrics"]["modes"]["code"]["l0"] == 16.0  # continuous codes: L0 = D, D columns
    tfidf = by["tfidf"]["metrics"]
    features = by["tfidf"]["provenance"]["reference"]["features"]
    assert features > 100  # the corpus's word types, not a projection
    scalars = tfidf["modes"]["code"]
    assert 0 < scalars["l0"] < 20 and scalars["avg_hoyer"] > 0.8  # a few words per sentence out of the vocabulary
    assert scalars["probe_accuracy"] > 0.9  # the synthetic classes are bags of class words
    assert tfidf["analysis"]["code"]["class_activation"]["profile"] is None


def test_untrained_is_seeded_reproducible_and_is_the_ae_at_init(computed, tmp_path):
    specs, store, first = computed
    untrained = next(o.record for o in first.outcomes if o.ref.name == "untrained")
    assert untrained["config"]["method"] == "ae" and untrained["config"]["method_config"]["latent_dim"] == 16
    again = run_references(specs, Store(tmp_path / "again"), **QUIET)
    assert next(o.record for o in again.outcomes if o.ref.name == "untrained")["metrics"] == untrained["metrics"]
    seed1 = run_references(expand(["ae"], ["synthetic"], [1], "smoke", BASE), Store(tmp_path / "s1"), **QUIET)
    other = next(o.record for o in seed1.outcomes if o.ref.name == "untrained")
    assert other["metrics"]["modes"]["code"]["avg_hoyer"] != untrained["metrics"]["modes"]["code"]["avg_hoyer"]
    # an untrained model reconstructs no better than chance over the vocabulary: NLL/token about ln(V)
    assert untrained["metrics"]["reconstruction"]["nll_per_token"] == pytest.approx(np.log(193), rel=0.05)


def _method(method, seed, acc, corpus="synthetic"):
    return {"status": "ok", "spec": {"method": method, "corpus": corpus, "seed": seed, "preset": "smoke"},
            "config": {"method_config": {"latent_dim": 16}, "train": {"epochs": 1}},
            "metrics": {"modes": {"code": {"probe_accuracy": acc, "avg_hoyer": 0.2}}, "default_mode": "code",
                        "reconstruction": {}}}


def test_the_leaderboard_marks_references_after_the_methods_and_never_bolds_them(computed):
    _, _, first = computed
    records = [_method("ae", 0, 0.50), _method("vae", 0, 0.40), _method("vae", 0, 0.30, corpus="other"),
               _method("ae", 0, 0.35, corpus="other")] + first.records
    out = render(records, metrics=["probe_accuracy"], notes=True)
    rows = [line for line in out.splitlines() if line.startswith("| ") and "synthetic" in line]
    names = [r.split("|")[1].strip() for r in rows]
    assert names == ["ae", "vae", "tfidf (reference)", "tfidf-svd (reference)", "untrained (reference)"]
    assert "**0.500**" in rows[0], "the best method is bold"
    assert all("**" not in r for r in rows[2:]), "a reference is never bold, though tfidf beats every method"
    assert "(reference): a non-learned reference" in out
    assert "no reference rows for other" in out  # a corpus without references is named, not silently bare
    assert "(reference):" not in render(records, metrics=["probe_accuracy"])  # the notes are opt-in
    assert "no reference rows" not in render(records, fmt="csv", notes=True)


class StandIn:
    """A deterministic bag-of-hashed-words encoder (as in test_embeddings.py)."""

    def __init__(self, dim: int = 12) -> None:
        self.dim = dim
        self.identity = {"name": "stand-in", "version": "1", "dim": dim}
        self.model_identity = self.identity  # what a resolved encoder's config records

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            for word in text.split():
                out[i, zlib.crc32(word.encode()) % self.dim] += 1.0
        return out


def test_the_embedding_track_gets_the_embedding_and_its_pca(monkeypatch, tmp_path):
    from bench.encoders import identity as embeddings

    monkeypatch.setattr(embeddings, "resolve_encoder", lambda name, cache_dir=None: StandIn())
    overrides = BASE + (("backbone", "embedding"), ("latent_dim", "4"))
    specs = [RunSpec("ae", "synthetic", 0, "smoke", overrides, encoder="stand-in")]
    assert [r.name for r in references_for(specs)] == ["embedding", "embedding-pca"]
    summary = run_references(specs, Store(tmp_path / "r"), corpus_options={"cache_dir": str(tmp_path / "cache")},
                             **QUIET)
    assert [o.status for o in summary.outcomes] == ["computed", "computed"], [o.error for o in summary.outcomes]
    emb, pca = (o.record for o in summary.outcomes)
    e, p = emb["metrics"]["modes"]["code"], pca["metrics"]["modes"]["code"]
    assert e["l0"] <= 12 and e["fvu"] == 0.0 and e["recon_probe_accuracy"] == e["probe_accuracy"]
    assert p["l0"] == 4.0 and 0 < p["fvu"] < 1  # PCA to 4 of 12 dimensions, its reconstruction as decoded
    assert pca["provenance"]["checksums"]["encoder"] and emb["config"]["encoder"] == "stand-in"
    assert pca["provenance"]["encoder"]["encoder"]["name"] == "stand-in"
    # a sparse autoencoder's latent_dim is its dictionary: the reference takes k, its active latents
    sae = RunSpec("topk", "synthetic", 0, "smoke", BASE + (("backbone", "embedding"), ("topk.k", "3")),
                  encoder="stand-in")
    assert sae.config["method_config"]["latent_dim"] != 3
    assert ReferenceSpec("embedding-pca", sae).config["method_config"] == {"latent_dim": 3}


def test_bench_run_reports_references_and_no_references_turns_them_off(run_bench, tmp_path):
    args = ["run", "-m", "ae", "-c", "synthetic", "--threads", "1", *sum((["--set", f"{k}={v}"] for k, v in BASE), [])]
    off = run_bench(*args, "--results-dir", str(tmp_path / "off"), "--no-references")
    assert off.exit_code == 0, off.output
    assert "references:" not in off.output and not list((tmp_path / "off" / "runs").glob("ref-*"))
    assert "no reference rows for synthetic" in off.output
    on = run_bench(*args, "--results-dir", str(tmp_path / "on"))
    assert on.exit_code == 0, on.output
    assert "references: 3 computed, 0 cached" in on.output and "tfidf-svd (reference)" in on.output
    again = run_bench(*args, "--results-dir", str(tmp_path / "on"))
    assert "1 cached" in again.output and "references: 0 computed, 3 cached" in again.output
    board = run_bench("leaderboard", "--results-dir", str(tmp_path / "on"))
    assert board.exit_code == 0 and "untrained (reference)" in board.output and "(reference): " in board.output


def test_a_damaged_reference_record_is_named_and_computed_again(computed, tmp_path):
    specs, store, first = computed
    copy = Store(tmp_path)
    for folder in store.runs.iterdir():
        copy.save(folder.name, json.loads((folder / "record.json").read_text()))
    victim = copy.cell_dir(ReferenceSpec("tfidf", specs[0]).dirname(first.outcomes[0].record["cell_id"]))
    (victim / "record.json").write_text("{not json")
    said: list[str] = []
    again = run_references(specs, copy, echo=said.append)
    assert [o.status for o in again.outcomes] == ["computed", "cached", "cached"]
    assert any(s.startswith("damaged reference record") and str(victim) in s for s in said)
    assert json.loads((victim / "record.json").read_text())["status"] == "ok"
