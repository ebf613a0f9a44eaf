"""How many CPU threads a cell uses, and pinning them for torch and the BLAS pools alike.

Shared by every place that runs numerical work (cells, references, the frozen encoder, ``bench profile``):
the thread count is part of what makes a CPU run fast on a shared machine and bit-for-bit repeatable.
"""
from __future__ import annotations

import contextlib
import os
from typing import Iterator

from bench.errors import UserError


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, which containers and ``taskset`` narrow)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def cap_threads(requested: int, source: str = "--threads") -> tuple[int, str | None]:
    """``requested`` threads capped at :func:`usable_cores`, and the note that says so (None: not capped)."""
    cores = usable_cores()
    if requested <= cores:
        return requested, None
    return cores, (f"note: {source} {requested} is more than the {cores} usable core(s) of this process; "
                   f"using {cores} thread(s) per cell")


def cell_threads(concurrent_cells: int, requested: int | None = None) -> int:
    """Torch threads per cell: ``requested`` (``--threads`` / ``$SPARSEBENCH_THREADS``) if given, else the
    usable cores divided among the concurrent cells, less the cores other processes keep busy.

    Why the load: torch's intra-op pool waits at every parallel region for its slowest thread, so two
    threads on a 2-core machine where another process holds one core run many times slower than one
    thread (a smoke run: 4 s alone, 100 s beside one CPU-bound process). The 1-minute load average is
    read once, before any cell starts, so this process's own cells do not count. The thread count is
    recorded in every record (``provenance.device``); pin it for bit-for-bit reruns.
    """
    if requested is None:
        env = os.environ.get("SPARSEBENCH_THREADS", "").strip()
        if env:
            if not env.isdigit() or int(env) < 1:
                raise UserError(f"SPARSEBENCH_THREADS={env!r} is not a positive integer; unset it or use e.g. 1")
            requested = int(env)
    if requested is not None:
        return cap_threads(requested)[0]
    cores = usable_cores()
    try:
        busy = int(os.getloadavg()[0] + 0.5)
    except OSError:
        busy = 0
    return max(1, min(cores // max(1, concurrent_cells), cores - busy))


@contextlib.contextmanager
def pinned_threads(threads: int | None) -> Iterator[None]:
    """Inside the block, torch's intra-op pool *and* the BLAS/OpenMP pools of numpy, scipy and
    scikit-learn (threadpoolctl) use ``threads`` threads (None: left alone); restored afterwards.

    Why both: a cell's probes, PCA and decoding run in numpy/scikit-learn, whose OpenBLAS pool starts
    one thread per core whatever torch was told; with ``--threads 1`` an embedding-track cell still
    held 1.3 cores and slowed the cell running beside it (measured with ``ps`` on 2 cores)."""
    if threads is None:
        yield
        return
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with threadpool_limits(limits=threads):
            yield
    finally:
        torch.set_num_threads(before)
