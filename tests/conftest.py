"""Shared fixtures: paths to the real corpora beside the checkout, a CLI runner, temp results."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def pytest_configure(config):
    """One torch thread in the test process: on a shared 2-core machine a second thread makes every
    small model many times slower (see ``bench.threads.cell_threads``); tests compare runs made with
    the same thread count, so no assertion depends on it."""
    import torch

    torch.set_num_threads(int(os.environ.get("SPARSEBENCH_THREADS", "1")))


BENCHMARKS = REPO / "tests" / "benchmarks"
SERIAL = "tests/benchmarks: not collected by a parallel (xdist) session; they run in their own: pytest -n0 tests/benchmarks"


def _parallel(config) -> bool:
    """True in an xdist session (controller or worker): pytest-benchmark switches itself off there."""
    return bool(getattr(config.option, "numprocesses", None)) or hasattr(config, "workerinput")


def pytest_ignore_collect(collection_path, config):
    """The benchmarks need a serial session (pytest-benchmark disables itself under xdist, and a disabled
    benchmark measures nothing); the README's test command runs them next, with ``-n0``."""
    if _parallel(config) and Path(collection_path) == BENCHMARKS:
        return True
    return None


def pytest_terminal_summary(terminalreporter, config):
    if _parallel(config) and not hasattr(config, "workerinput"):
        terminalreporter.write_line(SERIAL)


@pytest.fixture(autouse=True)
def _small_torch_threads(monkeypatch):
    """Workers and in-process CLI runs of tests get one thread too (unless the caller chose)."""
    monkeypatch.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "1"))
    monkeypatch.setenv("SPARSEBENCH_THREADS", os.environ.get("SPARSEBENCH_THREADS", "1"))
    yield


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data`` (real yahoo/dbpedia valid+test); the test is skipped loudly if absent."""
    if not (SHARED_DATA / "yahoo").is_dir():
        pytest.skip(f"real corpora not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def run_bench(tmp_path):
    """Run the CLI in-process like a user would; returns (exit_code, stdout, stderr)."""
    from click.testing import CliRunner

    from bench.cli import cli

    def _run(*args: str, env: dict[str, str] | None = None):
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=True, prog_name="bench")

    return _run


@pytest.fixture
def install_example(tmp_path, monkeypatch):
    """``install_example("sparsebench-l1")``: what ``pip install`` of an example package leaves behind.

    Installing with pip would need a build backend from the network, so this puts the package's
    source on ``sys.path`` beside a ``*.dist-info`` folder whose ``entry_points.txt`` is generated
    from the example's own ``pyproject.toml``; entry points are then discovered exactly as for an
    installed distribution.  Returns the ``[project]`` table.
    """
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]

    def install(name: str) -> dict:
        example = REPO / "examples" / name
        project = tomllib.loads((example / "pyproject.toml").read_text())["project"]
        site = tmp_path / f"site-{name}"
        dist_info = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
        dist_info.mkdir(parents=True)
        (dist_info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n")
        (dist_info / "entry_points.txt").write_text("".join(
            f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items())
            for group, eps in project["entry-points"].items()))
        monkeypatch.syspath_prepend(str(example / "src"))
        monkeypatch.syspath_prepend(str(site))
        reset_plugins()  # metric plugins are read once per process: read them again
        return project

    from tasks.metrics import reset_plugins

    yield install
    reset_plugins()


@pytest.fixture
def headless(tmp_path):
    """``headless(path) -> (dom, grey pixels)``: a local HTML file rendered by Debian's Chromium, headless and
    offline (the DOM after its scripts ran, and a 1200×900 screenshot); skipped, with its reason, without it."""
    import shutil
    import subprocess

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed (apt-get install chromium; .ci/run installs it): page not rendered")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'chr'}"]

    def render(path):
        import numpy as np
        from PIL import Image

        url = Path(path).resolve().as_uri()
        dom = subprocess.run([chromium, *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
        png = tmp_path / "shot.png"
        subprocess.run([chromium, *flags, f"--screenshot={png}", "--window-size=1200,900", url], capture_output=True,
                       timeout=120)
        return dom, np.asarray(Image.open(png).convert("L"), dtype=np.float64)

    return render


@pytest.fixture
def as_of_the_records_protocol(monkeypatch):
    """``as_of_the_records_protocol(track)``: the newest scoring protocol among ``track``'s committed records
    (results/reference/<track>), today's or an older one, made the protocol that ``bench.report.stale`` counts as
    current for this test, so that the committed tables can be checked while a track waits for its re-score;
    records of an older protocol beside them are left out, as ``bench leaderboard`` leaves them out."""
    import json

    from tasks.scoring import SCORING_VERSION

    def pin(track: str) -> int:
        runs = REPO / "results" / "reference" / track / "runs"
        newest = max(json.loads(p.read_text())["config"]["scoring_protocol"] for p in runs.glob("*/record.json"))
        assert newest <= SCORING_VERSION, f"the {track} track is of scoring protocol {newest}, newer than today's"
        monkeypatch.setattr("bench.report.stale.SCORING_VERSION", newest)
        return newest

    return pin
