"""Label parsing and checks, each failure naming the file and the line a user must fix."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from tasks.errors import CorpusError


def line_of(i: int, line_numbers: Sequence[int] | None) -> int:
    """1-based line of item ``i``: item *i* is line *i+1* unless the format says otherwise (csv, jsonl)."""
    return int(line_numbers[i]) if line_numbers is not None else i + 1


def parse_int_labels(values: Sequence[str], path: Path, n_classes: int,
                     line_numbers: Sequence[int] | None = None) -> np.ndarray:
    """Integer class ids in ``0 .. n_classes-1``; anything else is an error at its line."""
    try:
        labels = np.fromiter((int(v) for v in values), dtype=np.int64, count=len(values))
    except ValueError:
        for i, v in enumerate(values):
            try:
                int(v)
            except ValueError:
                raise CorpusError(
                    f"{path}, line {line_of(i, line_numbers)}: label {v!r} is not an integer; "
                    f"expected a class id 0..{n_classes - 1}") from None
        raise  # pragma: no cover - unreachable: some value failed above
    bad = np.flatnonzero((labels < 0) | (labels >= n_classes))
    if len(bad):
        i = int(bad[0])
        raise CorpusError(f"{path}, line {line_of(i, line_numbers)}: label {labels[i]} is out of range; "
                          f"this corpus has {n_classes} classes, 0..{n_classes - 1}")
    return labels


def check_same_count(text_path: Path, n_texts: int, label_path: Path, n_labels: int) -> None:
    """Texts and labels pair up line by line; a difference is reported at the first unpaired line."""
    if n_texts != n_labels:
        longer, shorter = (text_path, label_path) if n_texts > n_labels else (label_path, text_path)
        raise CorpusError(
            f"{longer}, line {min(n_texts, n_labels) + 1}: has no partner in {shorter} "
            f"({text_path.name} has {n_texts:,} lines, {label_path.name} has {n_labels:,}); "
            "line i of the labels must be the label of line i of the texts")


def check_classes_seen(train_labels: np.ndarray, train_name: str, labels: np.ndarray, split_name: str,
                       path: Path, class_names: Sequence[str], line_numbers: Sequence[int] | None = None) -> None:
    """A class the training split never shows cannot be learnt or probed: name it and where it appears."""
    unseen = ~np.isin(labels, np.unique(train_labels))
    if unseen.any():
        i = int(np.flatnonzero(unseen)[0])
        c = int(labels[i])
        raise CorpusError(
            f"{path}, line {line_of(i, line_numbers)}: class {c} ({class_names[c]!r}) appears in the {split_name} "
            f"split but never in the {train_name} split; a probe trained on {train_name} cannot predict it")
