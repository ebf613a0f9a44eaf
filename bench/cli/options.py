"""Option parsing shared by subcommands: comma lists, seed lists."""
from __future__ import annotations

from bench.errors import UserError


def comma_list(value: str, what: str) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    if not items:
        raise UserError(f"--{what} is empty: give one or more names separated by commas")
    return list(dict.fromkeys(items))


def parse_seeds(value: str) -> list[int]:
    """``3`` → seeds 0, 1, 2; ``0,5,7`` → exactly those."""
    try:
        numbers = [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise UserError(f"invalid --seeds {value!r}: give a count (3) or a comma list (0,1,2)") from None
    if "," in value:
        seeds = numbers
    elif not numbers or numbers[0] < 1:
        hint = "; for seed 0 alone, give a list: --seeds 0," if numbers == [0] else ""
        raise UserError(f"invalid --seeds {value!r}: a single number is a count of seeds (3 → 0,1,2) and must "
                        f"be at least 1{hint}")
    else:
        seeds = list(range(numbers[0]))
    if any(s < 0 for s in seeds):
        raise UserError(f"invalid --seeds {value!r}: seeds must be non-negative")
    return list(dict.fromkeys(seeds))
