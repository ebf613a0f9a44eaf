"""Using a trained cell (issue 27): load and encode, explore, export, MTEB, on tiny cells trained here.

Every check is a round trip against what the harness itself computed: encoding a cell's test
sentences through :func:`bench.use.load` must give the codes its scorers read (the same function on
the same batches, so bit for bit), and the activity the record's ``active_fraction`` was computed from.
"""
from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent


def _cli(*args: str, env: dict[str, str] | None = None):
    from click.testing import CliRunner

    from bench.cli import cli

    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=True, prog_name="bench")


def _ids(results: Path) -> dict[str, str]:
    """method-seed → cell id of every trained cell under ``results``."""
    out = {}
    for path in sorted((results / "runs").glob("*/record.json")):
        rec = json.loads(path.read_text())
        if not rec.get("reference"):
            out[f"{rec['spec']['method']}-{rec['spec']['seed']}"] = rec["cell_id"]
    return out


def _scored(encoder, mode: str):
    """The codes and activity the cell's scorers read for the test split: its own data, its own function."""
    import torch

    from bench.data.prepare import load_data
    from bench.cells.evaluate import encode_split

    test = load_data(encoder.method_cell).test
    return encode_split(encoder.model, test, mode, encoder.batch_size, torch.device("cpu"),
                        with_activity=mode in type(encoder.model).activity_rules), test


def _test_texts():
    from tasks.corpora import load_corpus

    corpus = load_corpus("synthetic")
    return corpus.split("test").texts(corpus.vocab), corpus.split("test").labels


# ---------------------------------------------------------------------------------------- text backbone

MAX_VOCAB = 40


@pytest.fixture(scope="module")
def text_results(tmp_path_factory) -> Path:
    results = tmp_path_factory.mktemp("text") / "results"
    res = _cli("run", "-m", "ae,vae", "-c", "synthetic", "--preset", "smoke", "--seeds", "2", "--set",
               f"max_vocab={MAX_VOCAB}", "--set", "probe_sizes=all",  # the codes are the point: one probe size
               "--threads", "1", "--no-references", "--results-dir", str(results))
    assert res.exit_code == 0, res.output
    return results


def test_text_cell_encodes_its_test_split_to_the_codes_it_scored(text_results):
    from bench.use import load
    from tasks.sparsity import active_fraction

    ids = _ids(text_results)
    texts, _ = _test_texts()
    for key in ("ae-0", "vae-0"):
        enc = load(ids[key][:8], text_results)
        record = enc.cell.record
        mode = enc.default_mode if key.startswith("ae") else "mean"
        (codes, _), test = _scored(enc, mode)
        mine, activity, rule = enc.encode_with_activity(texts, mode)
        assert mine.dtype == np.float32 and mine.shape == (len(texts), enc.latent_dim)
        assert np.array_equal(mine, codes), key  # same ids, same batches, same function: bit for bit
        assert active_fraction(activity) == record["metrics"]["modes"][mode]["active_fraction"]
        assert rule == record["metrics"]["analysis"][mode]["activity_rule"]
        # the ids a sentence becomes are those the corpus loader and max_vocab gave the cell
        for i in (0, 1, len(texts) - 1):
            assert enc.tokenize(texts[i]) == test.padded[i, : test.lengths[i]].tolist()


def test_text_vocabulary_is_the_restricted_one_and_unknown_words_are_unk(text_results):
    from bench.use import load

    enc = load(_ids(text_results)["ae-0"], text_results)
    words = enc.state["words"]
    assert len(words) == enc.state["vocab_size"] == MAX_VOCAB + 3  # <pad>, 40 words, _UNK, <EOS>
    assert words[0] == "<pad>" and words[-2:] == ["_UNK", "<EOS>"]
    unk, eos = len(words) - 2, len(words) - 1
    from tasks.corpora import load_corpus

    dropped = next(w for w in load_corpus("synthetic").vocab if w.startswith("c") and w not in words)
    known = words[1]
    # lower-cased like the corpus files, whitespace-split, unknown and dropped words → _UNK, <EOS> appended
    assert enc.tokenize(f"{known.upper()}  qwertyuiop {dropped}") == [1, unk, unk, eos]
    assert enc.tokenize("") == [eos]
    assert len(enc.tokenize(" ".join([known] * 100))) == enc.state["tokenizer"]["max_tokens"] + 1  # cut as loaded


def test_stochastic_modes_are_seeded_and_leave_the_callers_generator_alone(text_results):
    import torch

    from bench.use import load

    enc = load(_ids(text_results)["vae-0"], text_results)
    assert "sample" in enc.stochastic_modes
    texts = _test_texts()[0][:50]
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = enc.encode(texts, "sample")
    after = torch.rand(1)
    assert torch.equal(before, after)
    assert np.array_equal(a, enc.encode(texts, "sample")) and not np.array_equal(a, enc.encode(texts, "sample", seed=1))


def test_a_model_saved_without_encoding_json_recomputes_it_checks_it_and_keeps_it(text_results):
    from bench.errors import UserError
    from bench.use import load
    from bench.use.state import check_against_record

    enc = load(_ids(text_results)["ae-1"], text_results)
    stored = enc.cell.model_folder / "encoding.json"
    saved = json.loads(stored.read_text())
    stored.unlink()
    again = load(enc.cell_id, text_results)
    assert again.state == saved and json.loads(stored.read_text()) == saved
    texts = _test_texts()[0][:64]
    assert np.array_equal(again.encode(texts), enc.encode(texts))
    other = {**enc.cell.record, "training": {"provenance": {"corpus_checksum": "0" * 64}}}
    with pytest.raises(UserError, match="pass the --data-dir holding the files it was trained on"):
        check_against_record(saved, other)


def test_bench_encode_writes_codes_and_refuses_bad_input_in_one_line(text_results, tmp_path):
    ids = _ids(text_results)
    sentences = tmp_path / "in.txt"
    sentences.write_text("fw0 c0w1 c0w2\nC1W0 nosuchword c1w3\n\nfw2 c3w1\n", encoding="utf-8")
    out = tmp_path / "codes.npz"
    res = _cli("encode", ids["ae-0"][:6], "--input", str(sentences), "--output", str(out), "--results-dir",
               str(text_results))
    assert res.exit_code == 0, res.output
    assert "4 sentences" in res.output and "of 8 words unknown (_UNK)" in res.output
    with np.load(out) as z:
        from bench.use import load

        assert z["codes"].shape == (4, 16) and str(z["mode"]) == "code" and str(z["cell_id"]) == ids["ae-0"]
        lines = sentences.read_text().splitlines()
        assert np.array_equal(z["codes"], load(ids["ae-0"], text_results).encode(lines))
    npy = tmp_path / "codes.npy"
    assert _cli("encode", ids["vae-0"], "--input", str(sentences), "--output", str(npy), "--mode", "sample",
                "--results-dir", str(text_results)).exit_code == 0
    assert np.load(npy).shape == (4, 16)

    bad = [
        (["encode", "ffffffff", "--input", str(sentences), "--output", str(npy)], "no cell 'ffffffff'"),
        (["encode", "vae-synthetic-seed", "--input", str(sentences), "--output", str(npy)],
         "cell 'vae-synthetic-seed' is ambiguous"),
        (["encode", ids["vae-0"], "--input", str(sentences), "--output", str(npy), "--mode", "meen"],
         "vae has no mode 'meen' (did you mean 'mean'?); its modes: mean, sample (default"),
        (["encode", ids["vae-0"], "--input", str(tmp_path / "absent.txt"), "--output", str(npy)],
         f"--input {tmp_path / 'absent.txt'}: cannot be read"),
        (["encode", ids["vae-0"], "--input", str(sentences), "--output", str(tmp_path / "codes.csv")],
         "unknown suffix '.csv'; use .npy"),
    ]
    for args, message in bad:
        res = _cli(*args, "--results-dir", str(text_results))
        assert res.exit_code == 2 and message in res.output, (args, res.output)
        assert res.output.startswith("error: ") and len(res.output.strip().splitlines()) == 1, res.output


def test_absent_weights_are_one_line_naming_the_command_that_trains_them(text_results, tmp_path, monkeypatch):
    from bench.use import load

    results = tmp_path / "copy"
    shutil.copytree(text_results, results)
    cell = _ids(results)["ae-0"]
    original = load(cell, results)
    texts = _test_texts()[0][:100]
    expected = original.encode(texts)
    shutil.rmtree(original.cell.model_folder)
    sentences = tmp_path / "in.txt"
    sentences.write_text("fw0 c0w1\n")
    res = _cli("encode", cell, "--input", str(sentences), "--output", str(tmp_path / "c.npy"), "--results-dir",
               str(results))
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1, res.output
    command = (f"bench run -m ae -c synthetic --seeds 0, --preset smoke --set max_vocab={MAX_VOCAB} "
               "--set probe_sizes=all --results-dir results --no-references")
    assert "has no trained weights" in res.output and f"`{command}`" in res.output, res.output
    # the command trains the same model (same training id): the cell encodes as before
    monkeypatch.chdir(tmp_path)
    rerun = _cli(*command.split()[1:], "--threads", "1")
    assert rerun.exit_code == 0, rerun.output
    again = load(cell, tmp_path / "results")
    assert again.method_cell.train_id == original.method_cell.train_id and np.array_equal(again.encode(texts), expected)


def test_reference_records_without_weights_are_refused_with_the_command():
    from bench.errors import UserError
    from bench.use.cells import find_cell

    repo = HERE.parents[1]
    folder = next((repo / "results" / "reference" / "embedding" / "runs").glob("topk-dbpedia-seed0-*"))
    with pytest.raises(UserError) as err:
        find_cell(folder).weights()
    assert "has no trained weights" in str(err.value)
    assert ("bench run -m topk -c dbpedia --seeds 0, --preset cpu --train-split valid --encoder all-MiniLM-L6-v2 "
            "--set backbone=embedding") in str(err.value)


def test_explore_page_renders_in_headless_chromium(text_results, tmp_path, headless):
    out = tmp_path / "page"
    res = _cli("explore", _ids(text_results)["ae-0"], "--out", str(out), "--results-dir", str(text_results))
    assert res.exit_code == 0, res.output
    html = (out / "index.html").read_text()
    assert "<script src" not in html and "<link" not in html and "http" not in html.split('id="data"')[0]  # offline
    dom, pixels = headless(out / "index.html")
    assert dom.count('class="dim-row') == 16 and dom.count('class="sent-row"') == 200  # rows the script built
    assert 'class="dim-row' not in html  # ... not in the file itself
    assert pixels.shape == (900, 1200) and pixels.std() > 20  # not blank: header, bars and text
    assert (pixels < 80).mean() > 0.05  # the dark header band and text are drawn


def test_explore_command_defaults_to_the_deterministic_headline_mode(text_results, tmp_path):
    """The VAE's default mode is a random draw: the page (and the line that names its mode) must show the
    deterministic mean, so that two runs give the same page."""
    outs = []
    for i in (0, 1):
        res = _cli("explore", _ids(text_results)["vae-0"], "--out", str(tmp_path / f"p{i}"), "--results-dir",
                   str(text_results), "--max-sentences", "50")
        assert res.exit_code == 0, res.output
        assert "mode mean;" in res.output
        outs.append((tmp_path / f"p{i}" / "index.html").read_text())
    assert outs[0] == outs[1]


def test_explore_page_stays_small_for_10k_sentences_and_32_dimensions():
    from bench.use.explore import PageInput, render

    rng = np.random.default_rng(0)
    n, d = 10_000, 32
    codes = rng.normal(size=(n, d)).astype(np.float32)  # dense: every dimension active for every sentence
    sentences = [" ".join(f"word{j}" for j in rng.integers(0, 1000, 40)) for _ in range(n)]  # ~300 characters
    page = PageInput(sentences, codes, np.ones_like(codes), "all active", rng.integers(0, 10, n),
                     [f"class {c}" for c in range(10)], {"cell_id": "x", "mode": "code"})
    assert len(render(page).encode()) <= 5_000_000


# ---------------------------------------------------------------------------------------- embedding backbone

@pytest.fixture(scope="module")
def embedding(tmp_path_factory):
    """topk, batchtopk, csr and hsvae on a tiny local sentence-transformers encoder (test_embedding_track's)."""
    spec = importlib.util.spec_from_file_location("embedding_track", HERE / "test_embedding_track.py")
    track = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(track)
    root = tmp_path_factory.mktemp("embedding")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SPARSEBENCH_CACHE", str(root / "cache"))
        encoder = track.build_encoder(root / "enc" / "tiny-bert", seed=0)
        other = track.build_encoder(root / "enc" / "other-bert", seed=1)
        results = root / "results"
        res = _cli("run", "-m", "topk,batchtopk,csr,hsvae", "-c", "synthetic", "--train-split", "valid", "--backbone",
                   "embedding", "--encoder", str(encoder), "--preset", "smoke", "--set", "epochs=2",
                   "--set", "probe_sizes=all",  # the codes are the point: one probe size
                   "--threads", "1", "--no-references", "--results-dir", str(results))
        assert res.exit_code == 0, res.output
        yield {"results": results, "encoder": encoder, "other": other, "ids": _ids(results)}


def test_embedding_cells_encode_through_their_frozen_encoder_to_the_scored_codes(embedding):
    from bench.use import load
    from tasks.sparsity import active_fraction

    texts, _ = _test_texts()
    for key in ("topk-0", "batchtopk-0", "csr-0", "hsvae-0"):
        enc = load(embedding["ids"][key], embedding["results"])
        assert len(enc.state["mean"]) == enc.state["input_dim"] == 16 and enc.state["scale"] > 0
        mode = enc.default_mode if key != "hsvae-0" else "mean"
        (codes, _), _ = _scored(enc, mode)
        mine, activity, _ = enc.encode_with_activity(texts, mode)
        assert np.array_equal(mine, codes), key
        assert active_fraction(activity) == enc.cell.record["metrics"]["modes"][mode]["active_fraction"], key


def test_a_frozen_encoder_other_than_the_cells_is_refused(embedding):
    from bench.errors import UserError
    from bench.use import load

    with pytest.raises(UserError, match=r"is not the one cell \w+ was trained on: its sha256 differ"):
        load(embedding["ids"]["topk-0"], embedding["results"], encoder=embedding["other"])
    moved = embedding["encoder"].parent / "moved-copy"
    shutil.copytree(embedding["encoder"], moved)  # the same files elsewhere: the same model
    texts = _test_texts()[0][:32]
    cell = embedding["ids"]["topk-0"]
    assert np.array_equal(load(cell, embedding["results"], encoder=moved).encode(texts),
                          load(cell, embedding["results"]).encode(texts))


def test_export_gives_a_sparse_encoder_with_the_cells_codes(embedding, tmp_path):
    from sentence_transformers import SparseEncoder

    from bench.use import load

    texts, _ = _test_texts()
    for key in ("topk-0", "csr-0"):
        folder = tmp_path / key
        res = _cli("export", embedding["ids"][key], "--format", "sentence-transformers", str(folder),
                   "--results-dir", str(embedding["results"]))
        assert res.exit_code == 0, res.output
        assert "same active latents" in res.output
        ours = load(embedding["ids"][key], embedding["results"]).encode(texts)
        theirs = SparseEncoder(str(folder), device="cpu").encode(texts, batch_size=64, convert_to_tensor=True,
                                                                 convert_to_sparse_tensor=False).numpy()
        assert theirs.shape == ours.shape
        np.testing.assert_allclose(theirs, ours, rtol=1e-4, atol=1e-5)
        assert json.loads((folder / "sparsebench.json").read_text())["cell_id"] == embedding["ids"][key]
    for key, message in (("batchtopk-0", "BatchTopK keeps the activations above its learnt threshold"),
                         ("hsvae-0", "only the embedding track's topk and csr export")):
        res = _cli("export", embedding["ids"][key], str(tmp_path / key), "--results-dir", str(embedding["results"]))
        assert res.exit_code == 2 and message in res.output and len(res.output.strip().splitlines()) == 1, res.output
        assert not (tmp_path / key).exists()


def test_export_refuses_the_text_backbone(text_results, tmp_path):
    res = _cli("export", _ids(text_results)["ae-0"], str(tmp_path / "x"), "--results-dir", str(text_results))
    assert res.exit_code == 2 and "runs on the text backbone" in res.output, res.output


def test_folding_the_centring_into_the_weights_is_exact():
    import torch

    from bench.use.export import folded

    rng = np.random.default_rng(1)
    W, b_pre, b_lat = (torch.from_numpy(rng.normal(size=s)) for s in ((12, 5), (5,), (12,)))
    mean, scale = rng.normal(size=5), 3.7
    x = rng.normal(size=(9, 5))
    harness = (scale * (x - mean) - b_pre.numpy()) @ W.numpy().T + b_lat.numpy()
    f = folded({"W": W, "b_pre": b_pre, "b_lat": b_lat}, mean, scale)
    exported = (x - f["pre_bias"].double().numpy()) @ f["encoder.weight"].double().numpy().T + f["latent_bias"].numpy()
    np.testing.assert_allclose(exported, harness, rtol=1e-5, atol=1e-5)  # float32 storage of the folded weights


def test_mteb_adapter_follows_the_encoder_protocol(embedding):
    import torch

    from bench.use import load
    from bench.use.mteb import MTEBEncoder

    enc = load(embedding["ids"]["topk-0"], embedding["results"])
    texts = _test_texts()[0][:40]
    model = MTEBEncoder(enc)
    # MTEB ≥ 2: a DataLoader of {"text": [...]} batches and the task's metadata as keywords
    loader = torch.utils.data.DataLoader([{"text": t} for t in texts], batch_size=16)
    codes = model.encode(loader, task_metadata=object(), hf_split="test", hf_subset="default", prompt_type=None,
                         batch_size=8, show_progress_bar=False)
    assert isinstance(codes, np.ndarray) and codes.shape == (40, enc.latent_dim) and codes.dtype == np.float32
    assert np.array_equal(codes, enc.encode(texts))
    assert np.array_equal(model.encode(texts, task_name="Banking77Classification"), codes)  # MTEB 1.x's call
    sims = model.similarity(codes[:3], codes)
    assert sims.shape == (3, 40) and np.allclose(sims, codes[:3] @ codes.T)
    assert np.allclose(model.similarity_pairwise(codes[:5], codes[:5]), (codes[:5] ** 2).sum(1))
    meta = model.mteb_model_meta
    fields = meta if isinstance(meta, dict) else meta.model_dump()
    assert list(fields["model_type"]) == ["sparse"] and fields["similarity_fn_name"] in ("dot", "ScoringFunction.DOT_PRODUCT")
    assert fields["embed_dim"] == enc.latent_dim and fields["name"].startswith("sparsebench/topk-synthetic-")
    hsvae = MTEBEncoder(load(embedding["ids"]["hsvae-0"], embedding["results"]), "mean")
    assert hsvae.similarity_fn_name == "cosine"
    assert np.allclose(np.diag(hsvae.similarity(codes[:4], codes[:4])), 1.0, atol=1e-5)
