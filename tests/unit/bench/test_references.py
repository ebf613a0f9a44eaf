"""Reference rows: scored by the methods' own probe path, cached like cells, marked and never ranked in the table."""
from __future__ import annotations

import json
import zlib

import numpy as np
import pytest
import torch

from bench.cells.evaluate import encode_split
from bench.cells.method import MethodCell
from bench.cells.models import build_model, load_weights
from bench.cells.protocol import CellRun
from bench.cells.reference import Checksums, ReferenceCell, references_for
from bench.config.spec import RunSpec
from bench.data.prepare import load_data
from bench.report.leaderboard import render
from bench.run.driver import RunOptions, Summary, run_all
from bench.run.executors import InProcessExecutor
from bench.run.expand import Grid, expand
from bench.store.results import Store
from tasks.references import score_codes
from tasks.scoring import ScoringConfig

#: Tiny and fast: 200 training sentences, one epoch, a two-size probe sweep.
BASE = (("epochs", "1"), ("max_train_sentences", "200"), ("probe_sizes", "5,all"), ("probe_repeats", "2"))


def cells_of(*methods: str, seed: int = 0, extra=()) -> list[MethodCell]:
    return expand(Grid(list(methods), ["synthetic"], (seed,), "smoke", BASE + tuple(extra)))


def run_references(cells, store: Store, *, resume: str = "missing", echo=lambda s: None, options=None) -> Summary:
    """The reference rows beside ``cells``, through the one path every cell takes (plan, execute, store)."""
    refs = references_for(cells, Checksums(options or {}))
    return run_all(refs, store, InProcessExecutor("cpu", threads=1, progress=False),
                   RunOptions(resume=resume, references=False, corpus_options=options or {}, echo=echo, progress=False))


def ref_beside(name: str, cell: MethodCell, checksums=None) -> ReferenceCell:
    return ReferenceCell.beside(name, cell, checksums or {"corpus": "c"})


@pytest.fixture(scope="module")
def computed(tmp_path_factory):
    """The text-track references of an ae + vae run on the synthetic corpus, computed once."""
    store = Store(tmp_path_factory.mktemp("refs"))
    cells = cells_of("ae", "vae")
    return cells, store, run_references(cells, store)


def test_a_methods_own_codes_through_the_reference_path_reproduce_its_probe_numbers():
    """The reference scoring path is the methods' one: same probe, same split, same seed handling."""
    spec = MethodCell.resolve(RunSpec("ae", "synthetic", 1, "smoke", BASE))
    result = spec.run(CellRun())
    record = result.record.to_json()
    data = load_data(spec)
    shape, train, test = data.shape, data.train, data.test
    model = load_weights(build_model("ae", spec.config["method_config"], shape), result.weights)
    cpu = torch.device("cpu")
    size = spec.config["train"]["eval_batch_size"]  # the cell's batches: a row's float rounding may depend on them
    train_codes, _ = encode_split(model, train, "code", size, cpu)
    test_codes, _ = encode_split(model, test, "code", size, cpu)
    config = ScoringConfig.from_dict(spec.config["eval"])
    got = score_codes(train_codes, train.labels, test_codes, test.labels, seed=spec.spec.seed, config=config,
                      exact_zeros=False)
    want = record["metrics"]["modes"]["code"]
    assert got.scalars == want
    assert got.analysis["probes"] == record["metrics"]["analysis"]["code"]["probes"]
    # the seed reaches the probe's subsamples: another seed gives other @5 numbers, so the equality is not vacuous
    other = score_codes(train_codes, train.labels, test_codes, test.labels, seed=spec.spec.seed + 1, config=config,
                        exact_zeros=False)
    assert other.scalars["probe_accuracy@5"] != want["probe_accuracy@5"]


def test_a_reference_reads_the_cells_split_subsample_and_seed():
    (cell,) = cells_of("hsvae", seed=2)
    (ae,) = cells_of("ae", seed=2)
    data = load_data(ae)
    train, test, info = data.train, data.test, data.info
    for name in ("tfidf", "tfidf-svd", "untrained"):
        ref = ref_beside(name, cell)
        rdata = load_data(ref.model)
        rtrain, rtest, rinfo = rdata.train, rdata.test, rdata.info
        np.testing.assert_array_equal(rtrain.padded, train.padded)  # the same seeded 200-sentence subsample
        np.testing.assert_array_equal(rtest.labels, test.labels)
        assert rinfo["train_sentences"] == info["train_sentences"] == 200
        assert ref.config["seed"] == 2 and ref.config["eval"] == cell.config["eval"]


def test_references_are_computed_once_stored_marked_and_reused(computed):
    specs, store, first = computed
    assert [(o.cell.name, o.status) for o in first.outcomes] == [
        ("tfidf", "ok"), ("tfidf-svd", "ok"), ("untrained", "ok")]  # ae and vae share them
    folders = sorted(p.name for p in store.runs.iterdir())
    assert len(folders) == 3 and all(f.startswith("ref-") for f in folders)
    for folder in folders:
        record = json.loads((store.runs / folder / "record.json").read_text())
        assert record["reference"]["name"] in folder and record["status"] == "ok"
        assert record["provenance"]["checksums"]["corpus"] and record["provenance"]["train_sentences"] == 200
    second = run_references(specs, store)
    assert [o.status for o in second.outcomes] == ["cached"] * 3
    assert [o.record.cell_id for o in second.outcomes] == [o.record.cell_id for o in first.outcomes]
    assert second.references_line() == "references: 0 computed, 3 cached"
    # a reference trains nothing: --resume cache-only adds it to a finished grid, and reuses it after
    fresh = Store(store.root / "fresh")
    assert [o.status for o in run_references(specs, fresh, resume="cache-only").outcomes] == ["ok"] * 3
    assert [o.status for o in run_references(specs, fresh, resume="cache-only").outcomes] == ["cached"] * 3
    assert [o.status for o in run_references(specs, fresh, resume="always").outcomes] == ["ok"] * 3


def test_a_stored_reference_scored_by_other_scorers_is_recomputed(computed, tmp_path):
    specs, store, _ = computed
    copy = Store(tmp_path)
    for folder in store.runs.iterdir():
        record = json.loads((folder / "record.json").read_text())
        copy.save(folder.name, dict(record, scorers=["probes:built-in"]))  # as if scored before a metric was added
    assert [o.status for o in run_references(specs, copy).outcomes] == ["ok"] * 3


def test_identity_follows_seed_latent_size_subsample_and_scoring():
    def key(name, *extra, seed=0):
        return ref_beside(name, MethodCell.resolve(RunSpec("ae", "synthetic", seed, "smoke", BASE + extra))).cell_id

    base = key("tfidf-svd")
    assert key("tfidf-svd") == base
    assert len({base, key("tfidf-svd", seed=1), key("tfidf-svd", ("latent_dim", "8")),
                key("tfidf-svd", ("max_train_sentences", "300")), key("tfidf-svd", ("probe_repeats", "3")),
                key("tfidf")}) == 6
    assert key("tfidf", ("latent_dim", "8")) == key("tfidf")  # full TF-IDF has no latent size
    assert key("tfidf", ("epochs", "5")) == key("tfidf")  # nor does training length matter to it
    (ae,) = cells_of("ae")
    assert ref_beside("tfidf", ae, {"corpus": "a"}).cell_id != ref_beside("tfidf", ae, {"corpus": "b"}).cell_id


def test_tfidf_svd_has_the_latent_size_and_tfidf_stays_sparse(computed):
    _, _, first = computed
    by = {o.cell.name: o.record.to_json() for o in first.outcomes}
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
    untrained = next(o.record.to_json() for o in first.outcomes if o.cell.name == "untrained")
    assert untrained["config"]["method"] == "ae" and untrained["config"]["method_config"]["latent_dim"] == 16
    again = run_references(specs, Store(tmp_path / "again"))
    assert next(o.record for o in again.outcomes if o.cell.name == "untrained").metrics == untrained["metrics"]
    seed1 = run_references(cells_of("ae", seed=1), Store(tmp_path / "s1"))
    other = next(o.record.to_json() for o in seed1.outcomes if o.cell.name == "untrained")
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
    specs = [MethodCell.resolve(RunSpec("ae", "synthetic", 0, "smoke", overrides, encoder="stand-in"))]
    assert [r.name for r in references_for(specs, lambda c: {"corpus": "c"})] == ["embedding", "embedding-pca"]
    summary = run_references(specs, Store(tmp_path / "r"), options={"cache_dir": str(tmp_path / "cache")})
    assert [o.status for o in summary.outcomes] == ["ok", "ok"], [o.record.error for o in summary.outcomes]
    emb, pca = (o.record.to_json() for o in summary.outcomes)
    e, p = emb["metrics"]["modes"]["code"], pca["metrics"]["modes"]["code"]
    assert e["l0"] <= 12 and e["fvu"] == 0.0
    # x̂ = x: the decoded-embedding probe reads the same 12 directions, whitened (protocol 6) instead of standardised
    assert emb["metrics"]["analysis"]["code"]["reconstruction_probe"]["whitened_directions"] == 12
    assert abs(e["recon_probe_accuracy"] - e["probe_accuracy"]) < 0.03
    assert p["l0"] == 4.0 and 0 < p["fvu"] < 1  # PCA to 4 of 12 dimensions, its reconstruction as decoded
    assert pca["provenance"]["checksums"]["encoder"] and emb["config"]["encoder"] == "stand-in"
    assert pca["provenance"]["encoder"]["encoder"]["name"] == "stand-in"
    # a sparse autoencoder's latent_dim is its dictionary: the reference takes k, its active latents
    sae = MethodCell.resolve(RunSpec("topk", "synthetic", 0, "smoke", BASE + (("backbone", "embedding"), ("topk.k", "3")),
                                     encoder="stand-in"))
    assert sae.config["method_config"]["latent_dim"] != 3
    assert ref_beside("embedding-pca", sae).config["method_config"] == {"latent_dim": 3}


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
    victim = copy.cell_dir(first.outcomes[0].cell.dirname)
    (victim / "record.json").write_text("{not json")
    said: list[str] = []
    again = run_references(specs, copy, echo=said.append)
    assert [o.status for o in again.outcomes] == ["cached", "cached", "ok"]  # settled first, then the one run
    assert any(s.startswith("damaged reference record") and str(victim) in s for s in said)
    assert json.loads((victim / "record.json").read_text())["status"] == "ok"
