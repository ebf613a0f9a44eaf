"""Torch threads per cell: cores ÷ concurrent cells, less the cores other processes keep busy."""
from __future__ import annotations

import os

import pytest

from bench.errors import UserError
from bench.run.slots import SlotAllocator
from bench.threads import cell_threads


@pytest.fixture
def machine(monkeypatch):
    """A machine with ``cores`` usable cores and a 1-minute load average of ``load``."""
    monkeypatch.delenv("SPARSEBENCH_THREADS", raising=False)

    def set_(cores: int, load: float) -> None:
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
        monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))

    return set_


@pytest.mark.parametrize("cores, load, cells, expected", [
    (2, 0.0, 1, 2),   # quiet 2-core machine: both cores
    (2, 1.0, 1, 1),   # another CPU-bound process holds a core: one thread, not an oversubscribed two
    (2, 3.7, 1, 1),   # never below one
    (8, 0.2, 2, 4),   # --jobs 2 on 8 free cores
    (8, 5.0, 2, 3),   # ... of which 5 are busy
    (16, 0.4, 3, 5),
])
def test_default_divides_free_cores_among_cells(machine, cores, load, cells, expected):
    machine(cores, load)
    assert cell_threads(cells) == expected


def test_an_explicit_count_wins_over_the_environment_and_the_load(machine, monkeypatch):
    machine(4, 4.0)
    monkeypatch.setenv("SPARSEBENCH_THREADS", "2")
    assert cell_threads(1) == 2
    assert cell_threads(1, requested=3) == 3
    assert SlotAllocator(["cpu"], 1, cpu_slots=2).cpu_threads(requested=4) == 4


@pytest.mark.parametrize("bad", ["0", "two", "-1"])
def test_a_bad_environment_value_is_a_user_error(machine, monkeypatch, bad):
    machine(2, 0.0)
    monkeypatch.setenv("SPARSEBENCH_THREADS", bad)
    with pytest.raises(UserError, match="SPARSEBENCH_THREADS"):
        cell_threads(1)


def test_the_cli_records_the_thread_count_it_used(run_bench, tmp_path):
    import json

    result = run_bench("run", "--methods", "ae", "--preset", "smoke", "--set", "epochs=1", "--set", "probe_sizes=all",
                       "--results-dir", str(tmp_path / "r"), "--threads", "1", "--no-references")
    assert result.exit_code == 0, result.output
    record = json.loads(next((tmp_path / "r" / "runs").glob("*/record.json")).read_text())
    assert "1 threads" in record["provenance"]["device"]


def test_a_count_above_the_usable_cores_is_capped_with_a_note(machine, monkeypatch):
    from bench.threads import cap_threads

    machine(2, 0.0)
    assert cell_threads(1, requested=1000) == 2
    monkeypatch.setenv("SPARSEBENCH_THREADS", "64")
    assert cell_threads(1) == 2
    assert cap_threads(2) == (2, None)
    threads, note = cap_threads(1000)
    assert threads == 2 and note == ("note: --threads 1000 is more than the 2 usable core(s) of this process; "
                                     "using 2 thread(s) per cell")


def test_the_cli_caps_threads_with_one_line_and_records_the_capped_count(run_bench, tmp_path, monkeypatch):
    import json

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    result = run_bench("run", "--methods", "ae", "--preset", "smoke", "--set", "epochs=1", "--set", "probe_sizes=all",
                       "--results-dir", str(tmp_path / "r"), "--threads", "1000", "--no-references")
    assert result.exit_code == 0, result.output
    assert "note: --threads 1000 is more than the 1 usable core(s) of this process; using 1 thread(s)" in result.output
    record = json.loads(next((tmp_path / "r" / "runs").glob("*/record.json")).read_text())
    assert "1 threads" in record["provenance"]["device"]


def test_pinned_threads_caps_torch_and_the_blas_pools_and_restores_them():
    import torch
    from threadpoolctl import threadpool_info, threadpool_limits

    from bench.threads import pinned_threads

    with threadpool_limits(limits=2):
        torch.set_num_threads(2)
        before = {p["filepath"]: p["num_threads"] for p in threadpool_info()}
        assert before, "numpy's BLAS pool is visible to threadpoolctl"
        with pinned_threads(1):
            assert torch.get_num_threads() == 1
            assert {p["num_threads"] for p in threadpool_info()} == {1}
        assert torch.get_num_threads() == 2
        assert {p["filepath"]: p["num_threads"] for p in threadpool_info()} == before
        with pinned_threads(None):  # left alone
            assert torch.get_num_threads() == 2
    torch.set_num_threads(1)
