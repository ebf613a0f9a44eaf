"""Executors by name: ``--executor NAME`` picks a factory from the built-ins or the ``sparsebench.executors`` group.

A backend is a factory ``(ExecutorSettings) -> Executor`` (see :class:`bench.run.executors.Executor`).
The built-ins are ``local`` (this process for ``--jobs 1`` on CPU, else fresh worker processes on
device slots) and ``dask`` (an existing Dask cluster).  A Slurm/submitit or Ray backend is a plugin:
a distribution that declares, in its ``pyproject.toml``::

    [project.entry-points."sparsebench.executors"]
    slurm = "my_package.slurm:make_executor"

Entry points are read when an executor is asked for, and only the one asked for is imported, so a
broken or clashing plugin affects nobody who does not name it; a plugin may not shadow a built-in
(:mod:`sparsebench.registry`'s one clash rule).  Hydra's launcher plugins are the model;
:mod:`bench.run.conformance` is the suite every executor passes (its author subclasses it in their
own tests, as ``tests/integration/test_executor_conformance.py`` does for the built-ins).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

from bench.errors import UserError
from bench.run.executors import Executor
from sparsebench.hints import did_you_mean
from sparsebench.registry import Registry, builtin

ENTRY_POINT_GROUP = "sparsebench.executors"


@dataclass(frozen=True)
class ExecutorSettings:
    """What the command line says about where cells run; a backend reads what it needs and refuses the
    settings it cannot honour (so ``--scheduler`` with ``local`` is an error, not ignored)."""

    jobs: int = 1
    devices: str | None = None
    per_device: int = 1
    threads: int | None = None
    scheduler: str | None = None
    #: ``--executor-option KEY=VALUE`` pairs, for a plugin's own settings (partition, time limit, ...).
    options: Mapping[str, str] = field(default_factory=dict)

    def refuse_options(self, backend: str) -> None:
        if self.options:
            raise UserError(f"--executor {backend} takes no --executor-option (got {', '.join(self.options)})")


ExecutorFactory = Callable[[ExecutorSettings], Executor]


def local_executor(settings: ExecutorSettings) -> Executor:
    """``--jobs 1`` on CPU: this process; otherwise one fresh worker process per cell on device slots."""
    from bench.run.executors import InProcessExecutor, SubprocessExecutor
    from bench.run.slots import SlotAllocator, parse_devices, visible_gpus

    settings.refuse_options("local")
    if settings.scheduler:
        raise UserError("--scheduler is only used with --executor dask")
    wants_cuda = settings.devices is None or "cuda" in settings.devices  # `--devices cpu` never imports CUDA
    names = parse_devices(settings.devices, visible_gpus() if wants_cuda else 0)
    if names == ["cpu"] and settings.jobs == 1:
        return InProcessExecutor("cpu", threads=settings.threads)
    return SubprocessExecutor(SlotAllocator(names, settings.per_device, cpu_slots=settings.jobs),
                              threads=settings.threads)


def dask_executor(settings: ExecutorSettings) -> Executor:
    """Cells as tasks on the Dask cluster at ``--scheduler``; each worker uses its own device."""
    from bench.run.executors import DaskExecutor

    settings.refuse_options("dask")
    if not settings.scheduler:
        raise UserError("--executor dask needs --scheduler tcp://HOST:PORT (start one with `dask scheduler`)")
    if settings.devices is not None or settings.jobs != 1 or settings.per_device != 1:
        raise UserError("--devices, --jobs and --per-device are not used with --executor dask: the cluster's "
                        "workers decide (start one worker per GPU, see docs/running-at-scale.md)")
    return DaskExecutor(settings.scheduler)


def _check(name: str, factory: object) -> list[str]:
    if not callable(factory):
        return [f"{factory!r} is not callable; the entry point must name a factory taking "
                "bench.run.backends.ExecutorSettings and returning an executor"]
    return []


def _unknown(name: str, known: list[str]) -> str:
    return (f"unknown --executor {name!r}{did_you_mean(name, known)}; available: {', '.join(known)} (plugins "
            f"register under the entry-point group {ENTRY_POINT_GROUP!r})")


#: The executors by name (:mod:`sparsebench.registry`: the same mechanism and clash rule as methods, metrics
#: and corpora): the built-ins, and plugins of the entry-point group ``sparsebench.executors``.
EXECUTORS: Registry[ExecutorFactory] = Registry(
    "executor", ENTRY_POINT_GROUP, builtins=lambda: {"local": builtin("local", local_executor),
                                                     "dask": builtin("dask", dask_executor)},
    check=_check, error=UserError, unknown=_unknown)


def executor_names() -> dict[str, str]:
    """Every executor name → where it comes from ("built-in", "plugin dist 1.0", or several, clashing)."""
    return {name: entry.origin for name, entry in EXECUTORS.entries().items()}


def make_executor(name: str, settings: ExecutorSettings) -> Executor:
    """The executor ``--executor name`` builds from ``settings``, checked to have the protocol's ``run``."""
    executor = EXECUTORS.load(name)(settings)
    if not callable(getattr(executor, "run", None)):
        raise UserError(f"--executor {name!r} returned {type(executor).__name__}, which has no run(tasks, scratch) "
                        "method (see bench.run.executors.Executor)")
    return executor
