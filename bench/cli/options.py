"""Option parsing shared by subcommands: comma lists, seed lists."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import click

from bench.errors import UserError


class FolderPath(click.Path):
    """A folder option that refuses an empty value: ``--results-dir ""`` would otherwise be ``.``, the current
    folder, and a run would write its ``runs/`` and ``models/`` wherever it was started."""

    def __init__(self) -> None:
        super().__init__(file_okay=False, path_type=Path)

    def convert(self, value, param, ctx):
        if isinstance(value, str) and not value.strip():
            name = param.opts[0] if param is not None and param.opts else "the folder"
            raise UserError(f"{name} is empty; name a folder, e.g. {name} results")
        return super().convert(value, param, ctx)


class OutputPath(click.Path):
    """A file (or, with ``folder``, a folder) to write, checked when the option is read: a table or figures
    computed and then lost to ``-o /proc/x.md`` or ``-o afile/x.md`` would waste the work, and the
    error would be a traceback.  Missing parent folders are created."""

    def __init__(self, folder: bool = False) -> None:
        super().__init__(file_okay=not folder, dir_okay=folder, path_type=Path)
        self.folder = folder

    def convert(self, value, param, ctx):
        from bench.store.results import folder_problem

        path = super().convert(value, param, ctx)
        name = param.opts[0] if param is not None and param.opts else "the output"
        problem = folder_problem(path if self.folder else path.parent)
        if problem is not None:
            raise UserError(f"{name} {path}: {problem}; choose a path you can write")
        return path


def comma_list(value: str, what: str) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    if not items:
        raise UserError(f"--{what} is empty: give one or more names separated by commas")
    return list(dict.fromkeys(items))


def parse_seed_list(value: str, option: str = "--frontier-seeds") -> list[int]:
    """``1,2`` → exactly those seeds (a list, never a count)."""
    try:
        seeds = [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        seeds = []
    if not seeds or any(s < 0 for s in seeds):
        raise UserError(f"invalid {option} {value!r}: give a comma list of seeds, e.g. {option} 1,2"
                        + (", or none" if option == "--frontier-seeds" else ""))
    return seeds


def parse_seeds(value: str) -> Sequence[int]:
    """``3`` → seeds 0, 1, 2; ``0,5,7`` → exactly those."""
    try:
        numbers = [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise UserError(f"invalid --seeds {value!r}: give a count (3) or a comma list (0,1,2)") from None
    if "," in value:
        seeds = numbers
        if not seeds:
            raise UserError(f"invalid --seeds {value!r}: the list names no seed; e.g. --seeds 0,1,2 (or a count: --seeds 3)")
    elif not numbers or numbers[0] < 1:
        hint = "; for seed 0 alone, give a list: --seeds 0," if numbers == [0] else ""
        raise UserError(f"invalid --seeds {value!r}: a single number is a count of seeds (3 → 0,1,2) and must "
                        f"be at least 1{hint}")
    else:
        return range(numbers[0])  # not a list: a count of a million is refused by its size, not built first
    if any(s < 0 for s in seeds):
        raise UserError(f"invalid --seeds {value!r}: seeds must be non-negative")
    return list(dict.fromkeys(seeds))
