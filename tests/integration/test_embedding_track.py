"""The embedding track end to end through ``bench run``, offline, with a tiny stand-in encoder.

The stand-in is a real sentence-transformers model folder (a 1-layer, 16-wide BERT with random
weights and a word-level vocabulary of the synthetic corpus, mean pooling), built here with
transformers and saved with ``SentenceTransformer.save``: the CLI reads it exactly as it reads any
local model folder (``--encoder PATH``), so the whole path a user takes (resolution, file checksum,
embedding cache, the encoder's identity in the cell's hash) runs, in seconds and without a download.
The real all-MiniLM-L6-v2 is in test_embeddings_minilm.py.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("sentence_transformers", reason="sentence-transformers is not installed "
                    "(pip install 'sparsebench[embed]'); the embedding track is untested here")

pytestmark = pytest.mark.slow

METHODS = ("vae", "hsvae", "topk", "batchtopk", "csr")
SMOKE_K = 16  # the smoke preset's latent_dim: the sparse autoencoders' k
DIM = 16


def build_encoder(folder: Path, seed: int) -> Path:
    """A tiny randomly initialised sentence-transformers model at ``folder`` (same files, other weights per seed)."""
    import torch
    from sentence_transformers import SentenceTransformer
    try:  # sentence-transformers ≥ 6; 5.x has them under sentence_transformers.models
        from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    except ImportError:
        from sentence_transformers.models import Pooling, Transformer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    from tasks.corpora import load_corpus

    corpus = load_corpus("synthetic")
    raw = folder.parent / f"{folder.name}-hf"
    raw.mkdir(parents=True, exist_ok=True)
    words = [w for w in corpus.vocab if w.isalnum()]
    (raw / "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]) + "\n")
    tokenizer = BertTokenizerFast(vocab_file=str(raw / "vocab.txt"), do_lower_case=True)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=DIM, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=64)
    torch.manual_seed(seed)
    BertModel(config).save_pretrained(raw)
    tokenizer.save_pretrained(raw)
    word = Transformer(str(raw), max_seq_length=64)
    dim = word.get_embedding_dimension() if hasattr(word, "get_embedding_dimension") else word.get_word_embedding_dimension()
    SentenceTransformer(modules=[word, Pooling(dim, "mean")]).save(str(folder))
    return folder


@pytest.fixture(scope="module")
def encoder(tmp_path_factory) -> Path:
    return build_encoder(tmp_path_factory.mktemp("encoder") / "tiny-bert", seed=0)


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """Embeddings and encoder identities in a folder of the test's own."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("SPARSEBENCH_CACHE", str(folder))
    return folder


def grid(results: Path, encoder: Path, methods=METHODS, *extra: str) -> list[str]:
    return ["run", "--methods", ",".join(methods), "--corpora", "synthetic", "--train-split", "valid",
            "--backbone", "embedding", "--encoder", str(encoder), "--preset", "smoke", "--set", "epochs=2",
            "--threads", "1", "--results-dir", str(results), "--no-references", "--set", "probe_sizes=all", *extra]


def records(results: Path) -> dict[str, dict]:
    out = {}
    for path in sorted((results / "runs").glob("*/record.json")):
        rec = json.loads(path.read_text())
        if not rec.get("reference"):
            out[rec["spec"]["method"]] = rec
    return out


def test_a_tiny_embedding_grid_runs_through_bench_run_and_is_reused(run_bench, encoder, cache, tmp_path):
    results = tmp_path / "results"
    res = run_bench(*grid(results, encoder))
    assert res.exit_code == 0, res.output
    recs = records(results)
    assert sorted(recs) == sorted(METHODS) and all(r["status"] == "ok" for r in recs.values())

    for name, rec in recs.items():
        cfg = rec["config"]
        assert cfg["method_config"]["backbone"] == "embedding"
        assert cfg["encoder"]["dim"] == DIM and len(cfg["encoder"]["sha256"]) == 64  # identity, not the name
        assert rec["spec"]["encoder"] == str(encoder)
        prov = rec["provenance"]["encoder"]
        assert prov["encoder"]["sha256"] == cfg["encoder"]["sha256"] and prov["encoder"]["path"] == str(encoder)
        heads = rec["metrics"]["headline_modes"]
        decoded = heads["deterministic"] or rec["metrics"]["default_mode"]
        scores = rec["metrics"]["modes"][decoded]
        assert 0.0 <= scores["fvu"] < 1.5 and 0.0 <= scores["recon_probe_accuracy"] <= 1.0
        assert 0.0 <= scores["dead_fraction"] <= 1.0
        shown = {rec["metrics"]["default_mode"], *filter(None, heads.values())}
        for mode, mode_scores in rec["metrics"]["modes"].items():  # the costly scorers: where a table reads them
            assert "fvu" in mode_scores and ("recon_probe_accuracy" in mode_scores) == (mode == decoded), (name, mode)
            assert ("ksparse_accuracy" in mode_scores) == (mode in shown), (name, mode)
        kind = rec["metrics"]["reconstruction"]["recon_kind"]
        assert kind == ("squared_error" if name in ("topk", "batchtopk", "csr") else "gaussian_nll"), name

    for name in ("topk", "batchtopk", "csr"):  # dictionary 4 × max(16, k = 16), k = the preset's latent_dim
        mc = recs[name]["config"]["method_config"]
        assert (mc["latent_dim"], mc["k"]) == (4 * max(DIM, SMOKE_K), SMOKE_K), name
    topk_l0 = recs["topk"]["metrics"]["modes"]["code"]["l0"]
    assert 0 < topk_l0 <= SMOKE_K  # exactly k, less the rare codes whose k-th pre-activation is not positive
    assert recs["vae"]["config"]["method_config"]["latent_dim"] == SMOKE_K

    # the leaderboard shows FVU (every method has it) and never one column of mixed reconstruction kinds
    assert "FVU" in res.output and "NLL/sent" not in res.output
    from bench.report.leaderboard import records_to_frame

    frame = records_to_frame(recs.values())
    assert "nll_per_sentence" not in frame.columns
    squared = frame["recon_squared_error_per_sentence"].notna()
    gaussian = frame["recon_gaussian_nll_per_sentence"].notna()
    assert set(frame.loc[squared, "method"]) == {"topk", "batchtopk", "csr"} and not (squared & gaussian).any()

    embedded = sorted(p.name for p in (cache / "embeddings").glob("*.npy"))
    assert len(embedded) == 2  # valid and test, once for the whole grid
    # computing them printed progress lines (no terminal here), and its time is reported apart from the cell's
    assert "embedding synthetic/valid with tiny-bert: 800 sentences in " in res.output, res.output
    apart = [line for line in res.output.splitlines() if "of it computing the frozen encoder's embeddings" in line]
    assert len(apart) == 1, res.output  # the one cell that computed them; the others read the cache
    assert sum("embeddings_computed" in r["provenance"]["timing"] for r in recs.values()) == 1
    again = run_bench(*grid(results, encoder))
    assert again.exit_code == 0 and "0 trained" in again.output, again.output
    assert "embedding synthetic" not in again.output and "computing the frozen" not in again.output
    assert sorted(p.name for p in (cache / "embeddings").glob("*.npy")) == embedded


def test_other_weights_at_the_same_path_are_another_cell(run_bench, cache, tmp_path):
    folder = build_encoder(tmp_path / "enc" / "model", seed=1)
    results = tmp_path / "results"
    assert run_bench(*grid(results, folder, ("topk",))).exit_code == 0
    first = records(results)["topk"]
    build_encoder(folder, seed=2)  # same path, other weights
    res = run_bench(*grid(results, folder, ("topk",)))
    assert res.exit_code == 0 and "1 trained" in res.output, res.output
    cells = sorted((results / "runs").glob("topk-*"))
    assert len(cells) == 2
    second = [json.loads((c / "record.json").read_text()) for c in cells if first["cell_id"] not in c.name][0]
    assert second["train_id"] != first["train_id"]
    assert second["config"]["encoder"]["sha256"] != first["config"]["encoder"]["sha256"]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_bad_encoder_is_one_line_exit_2_before_any_cell(run_bench, cache, tmp_path, jobs):
    results = tmp_path / "results"
    res = run_bench(*grid(results, tmp_path / "no" / "such" / "model", ("vae", "topk"), "--jobs", jobs))
    assert res.exit_code == 2, res.output
    assert res.output.startswith("error: ") and len(res.output.strip().splitlines()) == 1, res.output
    assert "does not exist" in res.output and "Traceback" not in res.output
    assert not list(results.rglob("record.json"))


def test_a_grid_sweeps_the_backbone_each_cell_with_its_encoder(run_bench, encoder, cache, tmp_path):
    """``--grid backbone=text,embedding --encoder PATH``: one run trains the text cell and the embedding cell
    of each method, with the reference rows of both tracks; ``--set encoder=PATH`` is the same run."""
    results = tmp_path / "r"
    args = ["run", "--methods", "vae,topk", "--corpora", "synthetic", "--train-split", "valid", "--preset", "smoke",
            "--set", "epochs=1", "--set", "max_train_sentences=300", "--set", "probe_sizes=all",
            "--grid", "backbone=text,embedding",
            "--threads", "1", "--results-dir", str(results)]
    res = run_bench(*args, "--encoder", str(encoder))
    assert res.exit_code == 0, res.output
    # text: tfidf, tfidf-svd and an untrained ae of each method's sizes (topk's embed_layers is 0, vae's 1);
    # embedding: the embedding and its PCA to the common budget (vae's latent_dim 16 = topk's k)
    assert "4 trained" in res.output and "references: 6 computed" in res.output
    cells = [json.loads(p.read_text()) for p in (results / "runs").glob("*/record.json")]
    by = {(r["spec"]["method"], r["config"]["method_config"].get("backbone", "text")): r
          for r in cells if "reference" not in r}
    assert sorted(by) == [("topk", "embedding"), ("topk", "text"), ("vae", "embedding"), ("vae", "text")]
    for method in ("vae", "topk"):
        text, emb = by[(method, "text")], by[(method, "embedding")]
        assert "encoder" not in text["config"] and "encoder" not in text["spec"]
        assert emb["config"]["encoder"]["dim"] == DIM and emb["spec"]["encoder"] == str(encoder)
    again = run_bench(*args, "--set", f"encoder={encoder}")
    assert again.exit_code == 0 and "4 cached" in again.output and "references: 0 computed, 6 cached" in again.output
    refs = {r["reference"]["name"] for r in cells if "reference" in r}
    assert refs == {"tfidf", "tfidf-svd", "untrained", "embedding", "embedding-pca"}
