"""The direction of imports: bench → methods, bench → tasks, everything → sparsebench, and no cycles;
inside bench, each room imports only the rooms below it (``ROOMS``).

Every import is counted, also those inside functions: a lazy import is still a dependency (it only
defers when the price is paid), so ``methods`` importing ``bench`` inside a function would be as
wrong as at the top of the file.
"""
from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("bench", "methods", "tasks", "sparsebench")
FORBIDDEN = {
    "methods": {"bench", "tasks"},
    "tasks": {"bench", "methods", "torch"},
    "sparsebench": {"bench", "methods", "tasks", "torch"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Absolute module names imported anywhere in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    me = module_name(path).split(".")
    package = me if path.name == "__init__.py" else me[:-1]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            out.add(base)
            out.update(f"{base}.{alias.name}" for alias in node.names)  # `from pkg import module`
    return out


def graph() -> dict[str, set[str]]:
    files = [p for pkg in PACKAGES for p in (REPO / pkg).rglob("*.py")]
    mods = {module_name(p): p for p in files}
    return {m: {i for i in imports(p) if i in mods and i != m} for m, p in mods.items()}


def test_packages_import_only_in_the_allowed_direction():
    bad = []
    for pkg, banned in FORBIDDEN.items():
        for path in (REPO / pkg).rglob("*.py"):
            for name in imports(path):
                if name.split(".")[0] in banned:
                    bad.append(f"{module_name(path)} imports {name}")
    assert not bad, "imports against the layering: " + "; ".join(sorted(bad))


def test_no_import_cycles():
    g = graph()
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(g[m]):
            if state.get(n) == 1:
                cycles.append(" → ".join(stack[stack.index(n):] + [n]))
            elif n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(g):
        if m not in state:
            visit(m)
    assert not cycles, "import cycles: " + "; ".join(cycles)


#: bench's rooms (subpackages, and the two shared modules) and the rooms each may import.  A room not
#: listed on the right of another is above it: the arrows form a DAG, checked below, so a new import
#: that points up the stack fails here with the two modules named.
ROOMS: dict[str, set[str]] = {
    "errors": set(),
    "threads": {"errors"},
    "store": {"errors"},
    "encoders": {"errors", "threads", "store"},
    "config": {"errors", "encoders"},
    "data": {"errors", "config", "encoders"},
    "cells": {"errors", "threads", "store", "encoders", "config", "data"},
    "run": {"errors", "threads", "store", "encoders", "config", "cells"},
    "report": {"errors", "store", "config"},
    "perf": {"errors", "threads", "store", "config", "data", "cells"},
    "use": {"errors", "threads", "store", "encoders", "config", "data", "cells"},
    "cli": {"errors", "threads", "store", "encoders", "config", "data", "cells", "run", "report", "perf", "use"},
    "paper": {"errors", "store", "encoders", "config", "report"},
}


def room(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "bench" and len(parts) > 1 else None


def test_every_bench_module_lives_in_a_room():
    homeless = sorted(m for m in graph() if m.startswith("bench.") and room(m) not in ROOMS and m != "bench.__main__")
    assert not homeless, f"modules outside bench's rooms (add them to ROOMS or move them into one): {homeless}"


def test_bench_rooms_import_only_the_rooms_below_them():
    bad = []
    for path in (REPO / "bench").rglob("*.py"):
        me = room(module_name(path))
        if me not in ROOMS:
            continue
        for name in imports(path):
            other = room(name)
            if other is not None and other != me and other not in ROOMS[me]:
                bad.append(f"{module_name(path)} ({me}) imports {name} ({other})")
    assert not bad, "imports against bench's rooms: " + "; ".join(sorted(bad))


def test_the_rooms_form_a_dag():
    seen: dict[str, int] = {}

    def visit(r: str, trail: list[str]) -> None:
        assert seen.get(r) != 1, "rooms import each other in a circle: " + " → ".join(trail + [r])
        if seen.get(r) == 2:
            return
        seen[r] = 1
        for n in sorted(ROOMS[r]):
            visit(n, trail + [r])
        seen[r] = 2

    for r in sorted(ROOMS):
        visit(r, [])
