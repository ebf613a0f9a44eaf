"""The driver: expands method × corpus × seed into cells, reuses finished ones, runs the rest, writes the store.

Only the driver writes records, so a cell can run anywhere.  A cell whose record exists is not run
again (``resume="missing"``); ``always`` reruns everything; ``cache-only`` never trains.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from bench.config import check_override_keys
from bench.errors import UserError
from bench.spec import RunSpec
from bench.store import Store
from methods.registry import get_method
from tasks.corpora import corpus_info

RESUME_MODES = ("missing", "always", "cache-only")


def expand(methods: Sequence[str], corpora: Sequence[str], seeds: Sequence[int], preset: str,
           overrides: tuple[tuple[str, str], ...], train_split: str = "train") -> list[RunSpec]:
    """All cells, validated up front: a typo fails before anything trains."""
    entries = {m: get_method(m) for m in methods}
    for c in corpora:
        corpus_info(c)
    check_override_keys(overrides, {m: (e.config or e.load().Config) for m, e in entries.items()})
    specs = [RunSpec(m, c, s, preset, overrides, train_split) for c in corpora for m in methods for s in seeds]
    for spec in specs:
        spec.cell_id  # resolves the config: bad values fail here
    return specs


@dataclass
class Outcome:
    spec: RunSpec
    record: dict[str, Any] | None
    status: str  # "ok", "failed", "cached", "missing"


@dataclass
class Summary:
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]


def run_all(specs: Sequence[RunSpec], store: Store, *, resume: str = "missing", device: str = "cpu",
            corpus_options: dict[str, Any] | None = None, echo: Callable[[str], None] = print,
            verbose: bool = False) -> Summary:
    if resume not in RESUME_MODES:
        raise UserError(f"unknown resume mode {resume!r}; valid: {', '.join(RESUME_MODES)}")
    from bench.cell import run_cell

    summary = Summary()
    for i, spec in enumerate(specs, 1):
        prefix = f"[{i}/{len(specs)}] {spec.describe()}"
        existing = store.load(spec.dirname)
        if resume != "always" and existing is not None and existing.get("status") == "ok":
            echo(f"{prefix}: cached ({store.cell_dir(spec.dirname)})")
            summary.outcomes.append(Outcome(spec, existing, "cached"))
            continue
        if resume == "cache-only":
            echo(f"{prefix}: not in the store, skipped (--resume cache-only)")
            summary.outcomes.append(Outcome(spec, None, "missing"))
            continue
        echo(f"{prefix}: running")
        record = run_cell(spec, device=device, corpus_options=corpus_options,
                          log=(lambda s: echo(f"    {s}")) if verbose else (lambda s: None))
        log = record.pop("log", "")
        store.save(spec.dirname, record, log)
        status = record["status"]
        if status == "failed":
            echo(f"{prefix}: FAILED: {record['error']} (log: {store.cell_dir(spec.dirname)})")
        else:
            echo(f"{prefix}: done in {record['wall_seconds']:.1f}s")
        summary.outcomes.append(Outcome(spec, record, status))
    return summary
