"""``bench profile`` measures what the config trains: its batching (``length_pool``) and its precision."""
from __future__ import annotations

import pytest
import torch

import bench.profile as prof
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


def run(pool: int, **kw) -> prof.Profile:
    return prof.profile("ae", "synthetic", "smoke", 6, batch_size=32,
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
        prof.profile("ae", "synthetic", "smoke", 2, overrides=(("precision", "bf16"),))
