"""Executors by name: ``--executor NAME`` picks a factory from the built-ins or the ``sparsebench.executors`` group.

A backend is a factory ``(ExecutorSettings) -> Executor`` (see :class:`bench.run.executors.Executor`).
The built-ins are ``local`` (this process for ``--jobs 1`` on CPU, else fresh worker processes on
device slots) and ``dask`` (an existing Dask cluster).  A Slurm/submitit or Ray backend is a plugin:
a distribution that declares, in its ``pyproject.toml``::

    [project.entry-points."sparsebench.executors"]
    slurm = "my_package.slurm:make_executor"

Entry points are read when a backend is asked for, and only the one asked for is imported, so a
broken or clashing plugin affects nobody who does not name it.  Hydra's launcher plugins are the
model; ``tests/integration/test_executor_conformance.py`` is the suite every backend must pass.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from importlib import metadata
from typing import Callable, Mapping

from bench.errors import UserError
from bench.run.executors import Executor

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


BUILTIN_EXECUTORS: dict[str, ExecutorFactory] = {"local": local_executor, "dask": dask_executor}


def _origin(ep: metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return f"plugin {dist.name} {dist.version}" if dist is not None else f"plugin {ep.value}"


def _plugin_claims() -> dict[str, list[metadata.EntryPoint]]:
    try:
        eps = metadata.entry_points(group=ENTRY_POINT_GROUP)
    except Exception:  # pragma: no cover - broken site-packages metadata must not break the CLI
        return {}
    claims: dict[str, list[metadata.EntryPoint]] = {}
    for ep in eps:
        claims.setdefault(ep.name, []).append(ep)
    return claims


def executor_names() -> dict[str, str]:
    """Every backend name → where it comes from ("built-in", "plugin dist 1.0", or several, clashing)."""
    out = {name: "built-in" for name in BUILTIN_EXECUTORS}
    for name, eps in _plugin_claims().items():
        origins = ([out[name]] if name in out else []) + [_origin(ep) for ep in eps]
        out[name] = " and ".join(origins)
    return out


def executor_factory(name: str) -> ExecutorFactory:
    """The factory registered as ``name``; unknown, clashing or unloadable names are a :class:`UserError`."""
    from sparsebench.hints import did_you_mean

    claims = _plugin_claims().get(name, [])
    if name in BUILTIN_EXECUTORS and not claims:
        return BUILTIN_EXECUTORS[name]
    if not claims:
        names = executor_names()
        raise UserError(f"unknown --executor {name!r}{did_you_mean(name, names)}; available: "
                        f"{', '.join(sorted(names))} (plugins register under the entry-point group "
                        f"{ENTRY_POINT_GROUP!r})")
    origins = (["built-in"] if name in BUILTIN_EXECUTORS else []) + [_origin(ep) for ep in claims]
    if len(origins) > 1:
        raise UserError(f"--executor {name!r} is registered by more than one source ({'; '.join(origins)}); "
                        "uninstall one of them or rename the entry point in its pyproject.toml")
    (ep,) = claims
    try:
        factory = ep.load()
    except Exception as exc:  # a plugin's import error is its message, not our traceback
        raise UserError(f"--executor {name!r} ({origins[0]}, {ep.value}) cannot be loaded: "
                        f"{type(exc).__name__}: {exc}") from None
    if not callable(factory):
        raise UserError(f"--executor {name!r} ({origins[0]}): {ep.value} is not callable; the entry point must "
                        "name a factory taking bench.run.backends.ExecutorSettings and returning an executor")
    return factory


def make_executor(name: str, settings: ExecutorSettings) -> Executor:
    """The executor ``--executor name`` builds from ``settings``, checked to have the protocol's ``run``."""
    executor = executor_factory(name)(settings)
    if not callable(getattr(executor, "run", None)):
        raise UserError(f"--executor {name!r} returned {type(executor).__name__}, which has no run(tasks, scratch) "
                        "method (see bench.run.executors.Executor)")
    return executor
