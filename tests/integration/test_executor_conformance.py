"""The built-in executors pass the executor conformance suite (:mod:`bench.run.conformance`), as a plugin's do.

In-process, worker processes, and Dask with thread workers (the cell code is the same, and threads
share torch's random generator: the case bench.run.executors guards against) run the whole suite;
the kill case runs for the executors with worker processes (worker processes, and Dask's with
process workers: a process cluster costs a minute on 2 busy cores, so it runs the kill case alone).
"""
from __future__ import annotations

import signal
from contextlib import contextmanager, nullcontext
from typing import Callable

import pytest

from bench.run.backends import ExecutorSettings, make_executor
from bench.run.conformance import ExecutorConformance, KilledWorkerConformance


def _kill(match: Callable[[list[str]], bool]) -> int:
    import psutil

    n = 0
    for proc in psutil.Process().children(recursive=True):
        try:
            if match(proc.cmdline()):
                proc.send_signal(signal.SIGKILL)
                n += 1
        except psutil.NoSuchProcess:
            pass
    return n


@contextmanager
def _dask(processes: bool):
    distributed = pytest.importorskip("distributed")
    import dask

    # a killed worker fails its task at once (the default retries it on another worker 3 times)
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            distributed.LocalCluster(host="127.0.0.1", protocol="tcp", n_workers=2, threads_per_worker=1,
                                     processes=processes, dashboard_address=None) as cluster:
        yield make_executor("dask", ExecutorSettings(scheduler=cluster.scheduler_address))


class TestInProcess(ExecutorConformance):
    def executor(self):
        return nullcontext(make_executor("local", ExecutorSettings(jobs=1, devices="cpu", threads=1)))


class TestWorkerProcesses(ExecutorConformance, KilledWorkerConformance):
    def executor(self):
        return nullcontext(make_executor("local", ExecutorSettings(jobs=2, devices="cpu", threads=1)))

    def kill_workers(self) -> int:
        return _kill(lambda cmd: "bench.run.worker" in cmd)


class TestDaskThreads(ExecutorConformance):
    def executor(self):
        return _dask(processes=False)


class TestDaskProcesses(KilledWorkerConformance):
    def executor(self):
        return _dask(processes=True)

    def kill_workers(self) -> int:
        return _kill(lambda cmd: any("spawn_main" in part for part in cmd))
