"""``bench profile`` measures what the config trains: its batching (``length_pool``) and its precision."""
from __future__ import annotations

import pytest
import torch

import bench.perf.profile as prof
from bench.errors import UserError


@pytest.fixture
def peaks(monkeypatch):
    """Record the dtype each matmul peak is measured in (and skip the measurement itself)."""
    seen: list[torch.dtype] = []

    def fake_peak(device, dtype=torch.float32, **_):
        seen.append(dtype)
        return 1000.0

    monkeypatch.setattr(prof, "matmul_peak_gflops", fake_peak)
    return seen


def profile(method: str, corpus: str, preset: str, steps: int, **kw) -> prof.Profile:
    return prof.profile(prof.ProfileSettings(method, corpus, preset, steps, **kw))


def run(pool: int, **kw) -> prof.Profile:
    return profile("ae", "synthetic", "smoke", 6, batch_size=32,
                   overrides=(("length_pool", str(pool)), ("precision", "fp32")), **kw)


def test_profile_forms_batches_by_the_configs_length_pool(peaks):
    random, pooled = run(0), run(50)
    assert (random.length_pool, pooled.length_pool) == (0, 50)
    # synthetic sentences of 5-20 words: random batches pad a lot, length pools almost nothing
    assert pooled.padding_fraction < 0.05 < 0.2 < random.padding_fraction
    assert random.precision == pooled.precision == "fp32" and peaks == [torch.float32, torch.float32]


def test_precision_actually_used(monkeypatch):
    cuda, cpu = torch.device("cuda"), torch.device("cpu")
    assert prof.effective_precision(cpu, "fp32") == prof.effective_precision(cpu, "auto") == "fp32"
    with pytest.raises(UserError, match="precision=bf16 needs a CUDA device"):
        prof.effective_precision(cpu, "bf16")
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    # the paper protocol trains in fp32 on CUDA too: MFU is then against the fp32 peak, not bf16's
    assert prof.effective_precision(cuda, "fp32") == "fp32"
    assert prof.effective_precision(cuda, "auto") == prof.effective_precision(cuda, "bf16") == "bf16"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    assert prof.effective_precision(cuda, "auto") == "fp32"


def test_profile_refuses_bf16_on_cpu(peaks):
    with pytest.raises(UserError, match="bf16"):
        profile("ae", "synthetic", "smoke", 2, overrides=(("precision", "bf16"),))


def _cell(*args, **kwargs):
    from bench.cells.method import MethodCell
    from bench.config.spec import RunSpec

    return MethodCell.resolve(RunSpec(*args, **kwargs))


def test_profile_measures_the_cell_bench_run_runs(peaks):
    """Profile and cell resolve the same spec (same id), prepare the same data (``max_vocab`` applied the
    cell's way) and build the same model; the issue's symptom was a 20,002-word model profiled for a
    5,000-word cell."""
    from bench.data.prepare import load_data

    overrides = (("max_vocab", "40"), ("vae.beta", "0.5"))
    p = profile("vae", "synthetic", "smoke", 2, overrides=overrides)
    spec = _cell("vae", "synthetic", 0, "smoke", overrides)
    data = load_data(spec)
    shape, info = data.shape, data.info
    assert p.cell_id == spec.cell_id
    assert (p.vocab_size, p.eos_id) == (shape.vocab_size, shape.eos_id) == (43, 42)  # <pad>, 40 words, _UNK, <EOS>
    assert info["vocabulary"]["max_vocab"] == 40
    assert p.backbone == "text" and p.batch_size == spec.config["train"]["batch_size"]
    full = profile("vae", "synthetic", "smoke", 2, overrides=(("vae.beta", "0.5"),))
    assert full.vocab_size > 43 and full.cell_id != p.cell_id


def test_profile_on_shaped_data_restricts_the_vocabulary_as_the_cell_would(peaks, tmp_path):
    """No files on disk: the shaped sentences go through the cell's own data preparation too."""
    p = profile("vae", "yahoo", "smoke", 1, batch_size=4, data_dir=tmp_path, overrides=(("max_vocab", "300"),))
    assert p.data.startswith("synthetic, shaped like yahoo")
    assert p.vocab_size == 303


def test_profile_measures_the_embedding_backbone(peaks, tmp_path):
    """``--backbone embedding`` profiles the MLP latent model on the cell's own embeddings, its FLOPs counted."""
    pytest.importorskip("sentence_transformers")
    from tests.integration.test_embedding_track import build_encoder

    encoder = str(build_encoder(tmp_path / "enc", seed=0))
    overrides = (("backbone", "embedding"),)
    p = profile("topk", "synthetic", "smoke", 2, overrides=overrides, encoder=encoder)
    spec = _cell("topk", "synthetic", 0, "smoke", overrides, encoder=encoder)
    assert p.backbone == "embedding" and p.cell_id == spec.cell_id
    assert p.train_flops_per_step > 0 and p.mfu > 0 and p.encode_mfu > 0
