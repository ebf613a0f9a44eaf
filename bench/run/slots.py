"""A bounded slot allocator for cells on devices: never more than ``per_device`` cells on one device.

Each slot becomes the environment of a fresh worker process: ``CUDA_VISIBLE_DEVICES`` names the one
GPU it may see (so the cell addresses it as ``cuda:0``), or hides all GPUs for a CPU slot, and CPU
threads are divided among concurrent CPU cells.  joblib, hydra and submitit's local executor leave
this gap open (submitit's local executor starts every job at once, facebookincubator/submitit#1685;
hydra leaves GPU allocation to the launcher, facebookresearch/hydra#3002), hence a small allocator of our own.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from bench.errors import UserError
from bench.threads import cell_threads


@dataclass(frozen=True)
class Slot:
    device: str  # as the user named it: "cpu", "cuda:1"
    index: int  # slot number on that device

    @property
    def is_cuda(self) -> bool:
        return self.device.startswith("cuda")

    @property
    def worker_device(self) -> str:
        """The device as the worker sees it once CUDA_VISIBLE_DEVICES is set."""
        return "cuda:0" if self.is_cuda else "cpu"

    def env(self, cpu_threads: int) -> dict[str, str]:
        env = {"OMP_NUM_THREADS": str(cpu_threads), "MKL_NUM_THREADS": str(cpu_threads),
               "OPENBLAS_NUM_THREADS": str(cpu_threads),
               "SPARSEBENCH_TORCH_THREADS": str(cpu_threads)}
        env["CUDA_VISIBLE_DEVICES"] = (self.device.partition(":")[2] or "0") if self.is_cuda else ""
        return env


def parse_devices(value: str | None, visible_gpus: int, option: str = "--devices") -> list[str]:
    """``cuda:0,cuda:1`` or ``cpu``; default: every visible GPU, else the CPU.

    ``option`` is the command-line option the value came from, named in the messages.
    """
    if value is None or value.strip() == "":
        return [f"cuda:{i}" for i in range(visible_gpus)] or ["cpu"]
    devices = [d.strip() for d in value.split(",") if d.strip()]
    for d in devices:
        kind, _, idx = d.partition(":")
        if kind == "cpu" and not idx:
            continue
        if kind == "cuda" and idx.isdigit():
            if int(idx) >= visible_gpus:
                raise UserError(f"{option} {value}: {d} is not available here ({visible_gpus} CUDA device(s) "
                                "visible); use cpu or an index below the count")
            continue
        raise UserError(f"invalid device {d!r} in {option} {value!r}: use cpu or cuda:N (e.g. cuda:0,cuda:1)")
    if len(set(devices)) != len(devices):
        raise UserError(f"{option} {value!r} names a device twice; use --per-device for several cells per device")
    return devices


def visible_gpus() -> int:
    """CUDA devices torch sees here (0 with ``$SPARSEBENCH_IGNORE_GPUS`` set, as the tests do)."""
    if os.environ.get("SPARSEBENCH_IGNORE_GPUS"):
        return 0
    import torch

    return torch.cuda.device_count()


def parse_device(value: str, option: str = "--device") -> str:
    """One device for a single-process command (``bench profile``): ``cpu``, ``cuda`` (= ``cuda:0``) or
    ``cuda:N``, checked like ``--devices`` so a GPU that is not here is one line, not a traceback."""
    name = "cuda:0" if value.strip() == "cuda" else value.strip()
    if not name or "," in name:
        raise UserError(f"{option} {value!r}: give one device, cpu or cuda:N")
    (device,) = parse_devices(name, visible_gpus() if name.startswith("cuda") else 0, option)
    return device


class SlotAllocator:
    def __init__(self, devices: list[str], per_device: int, cpu_slots: int | None = None) -> None:
        if per_device < 1:
            raise UserError(f"--per-device must be at least 1, got {per_device}")
        self.free: list[Slot] = []
        for d in devices:
            n = (cpu_slots or per_device) if d == "cpu" else per_device
            self.free.extend(Slot(d, i) for i in range(n))
        self.capacity = len(self.free)
        self.busy: set[Slot] = set()

    def acquire(self) -> Slot | None:
        """A free slot on the least-loaded device, or None when every slot is busy."""
        if not self.free:
            return None
        load = {s.device: 0 for s in self.free}
        for s in self.busy:
            load[s.device] = load.get(s.device, 0) + 1
        slot = min(self.free, key=lambda s: (load[s.device], s.device, s.index))
        self.free.remove(slot)
        self.busy.add(slot)
        return slot

    def release(self, slot: Slot) -> None:
        if slot not in self.busy:
            raise ValueError(f"slot {slot} is not in use")
        self.busy.remove(slot)
        self.free.append(slot)

    def cpu_threads(self, requested: int | None = None) -> int:
        """Torch threads for one CPU cell when every CPU slot is busy (see :func:`cell_threads`)."""
        cpu_slots = sum(1 for s in [*self.free, *self.busy] if not s.is_cuda) or 1
        return cell_threads(cpu_slots, requested)
