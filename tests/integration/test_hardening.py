"""Issue 12's leftovers as a user meets them: scratch under the results folder, Ctrl-C, refused downloads,
per-cell progress, unwritable results folders, and executors chosen by name (plugins included)."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.store.results import SCRATCH_OWNER, Store

SLOW = ["--methods", "vae", "--preset", "smoke", "--set", "epochs=2000", "--set", "max_train_sentences=300",
        "--set", "hidden_dim=16", "--set", "embed_dim=8", "--no-references"]
#: With the reference rows, for the test where they are the point (an executor plugin runs them too).
QUICK_AND_REFERENCES = ["--methods", "ae", "--preset", "smoke", "--set", "epochs=1", "--set", "max_train_sentences=200",
                        "--set", "hidden_dim=16", "--set", "embed_dim=8", "--set", "probe_sizes=all"]
QUICK = [*QUICK_AND_REFERENCES, "--no-references"]
ENV = {**os.environ, "SPARSEBENCH_IGNORE_GPUS": "1", "SPARSEBENCH_THREADS": "1", "OMP_NUM_THREADS": "1"}


def _as_in_a_terminal() -> None:
    """A run started from a terminal takes Ctrl-C; one started from a background or ``nohup`` shell has
    SIGINT ignored (as it should: bench keeps it so).  These tests send SIGINT, so their runs take it,
    whatever shell started pytest."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def bench(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bench", *args], capture_output=True, text=True, env=ENV, **kw)


def _wait_for(predicate, timeout: float = 180.0, what: str = "") -> None:
    deadline = time.time() + timeout
    while not predicate():
        if time.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _workers_of(results: Path) -> list[int]:
    """Worker processes (anyone's child) whose task file lies under ``results``."""
    import psutil

    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmd = proc.info.get("cmdline") or []
        if "bench.run.worker" in cmd and any(str(results) in part for part in cmd):
            found.append(proc.pid)
    return found


# -- scratch ---------------------------------------------------------------------------------------

def _owned_by(store: Store, owner: dict, name: str) -> Path:
    folder = store.scratch / f"run-{owner['pid']}-{name}"
    folder.mkdir(parents=True)
    (folder / SCRATCH_OWNER).write_text(json.dumps(owner))
    (folder / "cell" / "task.json").parent.mkdir()
    (folder / "cell" / "task.json").write_text("{}")
    return folder


def test_stale_scratch_is_removed_and_live_scratch_is_kept(tmp_path):
    import socket

    from bench.store.results import _process_start

    store = Store(tmp_path)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    me = {"host": socket.gethostname(), "pid": os.getpid(), "start": _process_start(os.getpid())}
    gone = _owned_by(store, {**me, "pid": dead.pid}, "gone")
    # my pid, but another process's start time: the pid was reused after the owner died
    reused = _owned_by(store, {**me, "start": "1"} if me["start"] else {**me, "pid": dead.pid + 1_000_000},
                       "reused")
    live = _owned_by(store, me, "live")
    elsewhere = _owned_by(store, {**me, "host": "another-host-of-a-shared-filesystem", "pid": dead.pid}, "elsewhere")
    removed = store.remove_stale_scratch()
    assert sorted(removed) == sorted([gone, reused])
    assert not gone.exists() and not reused.exists()
    assert live.exists() and elsewhere.exists(), "a live run's scratch (or another host's) must survive"
    fresh = store.open_scratch()
    assert fresh.parent == store.scratch and json.loads((fresh / SCRATCH_OWNER).read_text()) == me


def test_sigint_exits_130_stops_workers_removes_scratch_and_spares_a_concurrent_run(tmp_path):
    """A second `bench run` on the same results folder while the first is running keeps the first's
    live scratch; Ctrl-C on the first exits 130, kills its workers and removes its scratch."""
    results = tmp_path / "results"
    first = subprocess.Popen([sys.executable, "-m", "bench", "run", *SLOW, "--jobs", "2", "--seeds", "2",
                              "--results-dir", str(results)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=ENV, preexec_fn=_as_in_a_terminal)
    try:
        _wait_for(lambda: len(list(results.glob(".scratch/run-*/*/task.json"))) == 2, what="two workers")
        (live,) = list(results.glob(".scratch/run-*"))
        second = bench("run", *QUICK, "--results-dir", str(results))
        assert second.returncode == 0, second.stderr
        assert "1 trained" in second.stdout
        assert live.is_dir() and len(list(live.glob("*/task.json"))) == 2, "the live run's scratch was deleted"
        assert len(_workers_of(results)) == 2
        first.send_signal(signal.SIGINT)
        out, err = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 130, (out, err)
    assert "interrupted" in err and "Traceback" not in err and "Aborted" not in err
    _wait_for(lambda: not _workers_of(results), timeout=10, what="the workers to end")
    assert not live.exists(), "the interrupted run's scratch is removed"
    assert not list(results.glob(".scratch/run-*"))


@pytest.mark.parametrize("sig, code, said", [(signal.SIGINT, 130, "interrupted"),
                                              (signal.SIGTERM, 143, "terminated (SIGTERM)")])
def test_a_signal_to_an_in_process_run_exits_128_plus_its_number(tmp_path, sig, code, said):
    results = tmp_path / "results"
    proc = subprocess.Popen([sys.executable, "-m", "bench", "run", *SLOW, "--results-dir", str(results)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
                            preexec_fn=_as_in_a_terminal)
    try:
        _wait_for(lambda: list(results.glob(".scratch/run-*")), what="the run to start its cell")
        time.sleep(1.0)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code, (out, err)
    assert said in err and "Traceback" not in err
    assert not list(results.glob(".scratch/run-*")) and not list(results.glob("runs/*/record.json"))


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_to_the_whole_process_group_records_no_running_cell_as_failed(tmp_path, sig, code):
    """What a terminal's Ctrl-C (SIGINT) and a scheduler's stop (SIGTERM to the job) do: every worker gets
    the signal too.  The cells in flight are unfinished, not failed: no record, so --resume trains them."""
    results = tmp_path / "results"
    proc = subprocess.Popen([sys.executable, "-m", "bench", "run", *SLOW, "--jobs", "2", "--seeds", "2",
                             "--results-dir", str(results)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=ENV, start_new_session=True, preexec_fn=_as_in_a_terminal)
    try:
        _wait_for(lambda: len(_workers_of(results)) == 2, what="two workers")
        time.sleep(1.0)
        if sig == signal.SIGINT:  # a worker leaves Ctrl-C to its driver, so it never races it
            worker = _workers_of(results)[0]
            os.kill(worker, signal.SIGINT)
            time.sleep(1.0)
            assert worker in _workers_of(results), "a worker died of Ctrl-C before its driver could stop it"
        os.killpg(proc.pid, sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == code, (out, err)
    assert "FAILED" not in out + err and "Traceback" not in err
    assert not list(results.glob("runs/*/record.json")), "an interrupted cell is not a failed cell"
    _wait_for(lambda: not _workers_of(results), timeout=10, what="the workers to end")
    assert not list(results.glob(".scratch/run-*"))


def test_a_sigkilled_run_leaves_scratch_in_the_results_folder_only_and_the_next_run_removes_it(tmp_path):
    import tempfile

    results = tmp_path / "results"
    before = set(Path(tempfile.gettempdir()).glob("sparsebench-cells-*"))
    proc = subprocess.Popen([sys.executable, "-m", "bench", "run", *SLOW, "--jobs", "2", "--results-dir",
                             str(results)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV,
                            start_new_session=True)
    _wait_for(lambda: list(results.glob(".scratch/run-*/*/task.json")), what="a worker")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    (stale,) = list(results.glob(".scratch/run-*"))
    assert set(Path(tempfile.gettempdir()).glob("sparsebench-cells-*")) == before, "nothing in the system temp dir"
    again = bench("run", *QUICK, "--results-dir", str(results))
    assert again.returncode == 0, again.stderr
    assert not stale.exists() and not list(results.glob(".scratch/run-*"))


# -- refused downloads, results folders ------------------------------------------------------------

def test_a_refused_download_leaves_no_folder_it_created(run_bench, tmp_path):
    data = tmp_path / "new" / "data"
    res = run_bench("data", "download", "yahoo", "--base-url", "http://127.0.0.1:9", "--data-dir", str(data))
    assert res.exit_code == 2, res.output
    assert "nothing was written" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "new").exists(), "the folders the command created are removed again"
    kept = tmp_path / "mine"
    (kept / "yahoo").mkdir(parents=True)
    res = run_bench("data", "download", "yahoo", "--base-url", "http://127.0.0.1:9", "--data-dir", str(kept))
    assert res.exit_code == 2
    assert (kept / "yahoo").is_dir(), "a folder the user had is never removed"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_a_results_dir_that_cannot_be_created_fails_before_training(run_bench, tmp_path):
    res = run_bench("run", *QUICK, "--results-dir", "/proc/sparsebench-newdir")
    assert res.exit_code == 2, res.output
    assert res.output.startswith("error: --results-dir /proc/sparsebench-newdir") and "cannot be written" in res.output
    assert len(res.output.strip().splitlines()) == 1 and "Traceback" not in res.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_results_dir_fails_before_training(run_bench, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        res = run_bench("run", *QUICK, "--results-dir", str(ro))
    finally:
        ro.chmod(0o755)
    assert res.exit_code == 2 and "cannot be written (Permission denied)" in res.output


# -- progress --------------------------------------------------------------------------------------

def test_per_cell_progress_on_a_terminal_and_quiet_otherwise(run_bench, tmp_path):
    import pty

    import fcntl
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 160, 0, 0))  # a 160-column terminal
    proc = subprocess.Popen([sys.executable, "-m", "bench", "run", *QUICK, "--set", "epochs=2", "--results-dir",
                             str(tmp_path / "tty")], stdout=slave, stderr=slave, stdin=subprocess.DEVNULL, env=ENV)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.wait(timeout=60) == 0
    tty = b"".join(chunks).decode(errors="replace")
    assert re.search(r"ae/synthetic/s0: +\d+%.*\d+/\d+ \[\d\d:\d\d<\d\d:\d\d", tty), tty[-2000:]  # steps and ETA
    assert "epoch 2/2" in tty and "step/s" in tty

    piped = run_bench("run", *QUICK, "--set", "epochs=2", "--results-dir", str(tmp_path / "piped"))
    assert piped.exit_code == 0
    assert "step/s" not in piped.output and "epoch 2/2" not in piped.output and "\r" not in piped.output


# -- executors by name -----------------------------------------------------------------------------

PLUGIN = '''
from bench.run.executors import InProcessExecutor

class Recording(InProcessExecutor):
    """An executor plugin: runs cells in this process and leaves a note of what it ran."""

    def __init__(self, settings):
        super().__init__("cpu", threads=1)
        self.note = settings.options["note"]

    def run(self, tasks, scratch):
        for cell, result in super().run(tasks, scratch):
            with open(self.note, "a") as fh:
                fh.write(cell.dirname + "\\n")
            yield cell, result

def make(settings):
    return Recording(settings)
'''


@pytest.fixture
def executor_plugins(tmp_path, monkeypatch):
    """Installs (as pip would leave it) a distribution with three executor entry points: a working one,
    one whose module does not exist, and one that claims the built-in name ``dask``."""
    site = tmp_path / "site"
    dist = site / "sparsebench_recording-0.3.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: sparsebench-recording\nVersion: 0.3\n")
    (dist / "entry_points.txt").write_text("[sparsebench.executors]\nrecording = recording_executor:make\n"
                                           "broken = no_such_module_here:make\ndask = recording_executor:make\n")
    (site / "recording_executor.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(site))
    return tmp_path / "note.txt"


def test_an_executor_plugin_runs_cells_by_name(run_bench, tmp_path, executor_plugins):
    res = run_bench("run", *QUICK_AND_REFERENCES, "--executor", "recording", "--executor-option", f"note={executor_plugins}",
                    "--results-dir", str(tmp_path / "r"))
    assert res.exit_code == 0, res.output
    assert "1 trained" in res.output and "references: 3 computed" in res.output
    ran = executor_plugins.read_text().split()
    assert len(ran) == 4 and sum(not d.startswith("ref-") for d in ran) == 1  # references run where cells run
    assert all((tmp_path / "r" / "runs" / d / "record.json").is_file() for d in ran)


def test_a_broken_or_clashing_executor_plugin_blocks_only_its_name(run_bench, tmp_path, executor_plugins):
    from bench.run.backends import executor_names

    names = executor_names()
    assert names["recording"] == names["broken"] == "plugin sparsebench-recording 0.3"
    assert names["dask"] == "built-in"  # a plugin may not shadow a built-in: it is left out, and listed so
    listed = " ".join(run_bench("list", "executors", "--wide").output.split())  # what --executor takes, with origins
    assert "recording plugin sparsebench-recording 0.3" in listed and "local built-in" in listed
    assert ("dask plugin UNUSABLE: executor plugin 'dask' (plugin sparsebench-recording 0.3) is left out: a "
            "plugin may not shadow the built-in executor 'dask'") in listed
    typo = run_bench("run", "--executor", "recordin", "--results-dir", str(tmp_path))
    assert typo.exit_code == 2
    assert "unknown --executor 'recordin' (did you mean 'recording'?); available: broken, dask, local, recording" \
        in typo.output
    broken = run_bench("run", "--executor", "broken", "--results-dir", str(tmp_path))
    assert broken.exit_code == 2 and "Traceback" not in broken.output
    assert ("executor 'broken' (plugin sparsebench-recording 0.3, no_such_module_here:make) could not be loaded: "
            "ModuleNotFoundError") in broken.output
    builtin = run_bench("run", "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9", "--results-dir", str(tmp_path))
    assert builtin.exit_code == 2 and "cannot reach the Dask scheduler" in builtin.output  # the built-in ran
    fine = run_bench("run", *QUICK, "--executor", "local", "--results-dir", str(tmp_path / "r"))
    assert fine.exit_code == 0, fine.output
