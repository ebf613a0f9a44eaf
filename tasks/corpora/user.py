"""User corpora: a ``.tsv``/``.csv``/``.jsonl`` file, or a small ``.toml`` naming split files and columns.

A single file has a header (tsv/csv) or one JSON object a line (jsonl) with a ``text`` and a
``label`` column; it is split into train and test (20 % of every class, seed 0) so that every class
is seen in training.  A TOML file names the split files and the columns::

    name = "reviews"            # optional, default: the TOML file's stem
    train = "train.tsv"         # paths relative to the TOML file
    valid = "valid.tsv"         # optional
    test = "test.tsv"           # optional: without it, 20 % of train per class
    text = "review"             # column / key of the text (default "text")
    label = "stars"             # column / key of the label (default "label")
    lowercase = true            # default true
    token_pattern = "\\\\w+|[^\\\\w\\\\s]"  # regex for tokens; default: split on whitespace
    max_length = 200            # tokens before <EOS>; longer sentences are cut and counted
    max_vocab = 20000           # most frequent training words kept; others become _UNK

Labels are any strings (or numbers); classes are the distinct training labels, sorted (numerically
when all are integers).  A label in valid/test that training never shows is an error at its line.
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from tasks.corpora.assemble import RawSplit, assemble, requested_splits
from tasks.corpora.base import Corpus
from tasks.corpora.files import decode, is_file, read_bytes
from tasks.corpora.info import CorpusInfo
from tasks.corpora.vocab import DEFAULT_MAX_VOCAB
from tasks.errors import CorpusError

TABLE_SUFFIXES = {".tsv": "\t", ".csv": ","}
#: The longest field a .tsv/.csv may hold, in characters: Python's csv module stops at 131,072, which a
#: long review or document can pass; past this a field is more likely an unclosed quote swallowing lines.
MAX_FIELD = 16 * 2**20
USER_SUFFIXES = (".tsv", ".csv", ".jsonl", ".toml")
DEFAULT_MAX_LENGTH = 200
TEST_FRACTION = 0.2


@dataclass(frozen=True)
class UserCorpusSpec:
    name: str
    files: dict[str, Path]  # split → file
    text: str = "text"
    label: str = "label"
    lowercase: bool = True
    token_pattern: str | None = None
    max_length: int = DEFAULT_MAX_LENGTH
    max_vocab: int = DEFAULT_MAX_VOCAB
    origin: Path = field(default=Path())

    def tokenizer(self) -> Callable[[str], list[str]]:
        if self.token_pattern is None:
            return str.split
        return re.compile(self.token_pattern).findall


@dataclass
class Records:
    texts: list[str]
    labels: list[str]
    lines: list[int]


def _check_file(path: Path, what: str) -> Path:
    if not is_file(path):
        raise CorpusError(f"{what}: no such file {path}")
    if path.suffix.lower() not in USER_SUFFIXES[:3] and not (path.suffix == ".gz" and Path(path.stem).suffix in USER_SUFFIXES[:3]):
        raise CorpusError(f"{path}: unsupported corpus file type {path.suffix!r}; use .tsv, .csv or .jsonl "
                          "(optionally .gz), or a .toml describing them")
    return path


def _format_of(path: Path) -> str:
    return (Path(path.stem).suffix if path.suffix == ".gz" else path.suffix).lower()


def read_records(path: Path, text_key: str, label_key: str) -> Records:
    """(text, label, line) for every record; each problem names the file and the line."""
    content = decode(read_bytes(path), path)
    if not content.strip():
        raise CorpusError(f"{path} is empty: expected a header and one record a line")
    fmt = _format_of(path)
    out = Records([], [], [])
    if fmt == ".jsonl":
        for number, line in enumerate(content.splitlines(), 1):
            if not line.strip():
                raise CorpusError(f"{path}, line {number}: empty line; every line must hold one JSON object")
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CorpusError(f"{path}, line {number}: not valid JSON ({exc.msg})") from None
            if not isinstance(obj, dict) or text_key not in obj or label_key not in obj:
                keys = ", ".join(obj) if isinstance(obj, dict) else type(obj).__name__
                raise CorpusError(f"{path}, line {number}: expected an object with keys {text_key!r} and {label_key!r}, "
                                  f"got {keys}; name the keys with text=/label= in a .toml")
            _add(out, path, number, obj[text_key], obj[label_key])
    else:
        if csv.field_size_limit() < MAX_FIELD:
            csv.field_size_limit(MAX_FIELD)
        reader = csv.reader(io.StringIO(content, newline=""), delimiter=TABLE_SUFFIXES[fmt])
        rows = _checked(reader, path)
        header = next(rows)
        missing = [k for k in (text_key, label_key) if k not in header]
        if missing:
            raise CorpusError(f"{path}, line 1: no column {missing[0]!r} in the header (columns: {', '.join(header)}); "
                              "the first line must name the columns, or name them with text=/label= in a .toml")
        ti, li = header.index(text_key), header.index(label_key)
        start = reader.line_num + 1
        for row in rows:
            if not row or not any(cell.strip() for cell in row):
                raise CorpusError(f"{path}, line {start}: empty line; every line must hold one record")
            if len(row) != len(header):
                raise CorpusError(f"{path}, line {start}: {len(row)} fields, the header has {len(header)}")
            _add(out, path, start, row[ti], row[li])
            start = reader.line_num + 1
    if not out.texts:
        raise CorpusError(f"{path} has no records (only a header): the split is empty")
    return out


def _checked(reader: Any, path: Path):
    """Rows of ``reader``; a malformed row (an over-long field: often an unclosed quote) names its line."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise CorpusError(f"{path}, line {reader.line_num}: {exc} (a field of more than {MAX_FIELD:,} characters "
                              "is usually an unclosed quote; check the quoting from that line on)") from None
        yield row


def _add(out: Records, path: Path, number: int, text: Any, label: Any) -> None:
    if not isinstance(text, str) or not text.strip():
        raise CorpusError(f"{path}, line {number}: empty text; every record needs a sentence")
    if label is None or (isinstance(label, str) and not label.strip()) or isinstance(label, (dict, list)):
        raise CorpusError(f"{path}, line {number}: missing or empty label {label!r}")
    out.texts.append(text)
    out.labels.append(str(label).strip())
    out.lines.append(number)


def _check_label_spellings(records: dict[str, Records], files: dict[str, Path]) -> None:
    """Refuse one number spelled two ways (``1`` and ``1.0``, ``2`` and ``02``): as strings they would be two
    classes, silently splitting one class in half."""
    first: dict[str, tuple[str, int]] = {}  # spelling → (split, line) of its first use
    for split, r in records.items():
        for label, line in zip(r.labels, r.lines):
            first.setdefault(label, (split, line))
    by_value: dict[float, list[str]] = {}
    for label in first:
        try:
            value = float(label)
        except ValueError:
            continue
        by_value.setdefault(value, []).append(label)
    for spellings in by_value.values():
        if len(spellings) > 1:
            where = "; ".join(f"{s!r} at {files.get(first[s][0], '?')}, line {first[s][1]}" for s in spellings[:3])
            raise CorpusError(f"labels {' and '.join(repr(s) for s in spellings[:3])} are the same number spelled "
                              f"differently ({where}): they would be separate classes; write every label of a "
                              "class the same way")


def _class_order(labels: Sequence[str]) -> list[str]:
    distinct = set(labels)
    try:
        return [str(v) for v in sorted(distinct, key=int)]
    except ValueError:
        return sorted(distinct)


def _to_ids(records: Records, classes: dict[str, int], path: Path, split: str, train_name: str) -> np.ndarray:
    ids = np.empty(len(records.labels), dtype=np.int64)
    for i, label in enumerate(records.labels):
        c = classes.get(label)
        if c is None:
            raise CorpusError(f"{path}, line {records.lines[i]}: class {label!r} appears in the {split} split but "
                              f"never in the {train_name} split; a probe trained on {train_name} cannot predict it")
        ids[i] = c
    return ids


def _stratified_test(labels: Sequence[str], fraction: float, seed: int = 0) -> np.ndarray:
    """Boolean mask of test items: ``fraction`` of every class, never a class's only item."""
    rng = np.random.default_rng(seed)
    arr = np.asarray(labels, dtype=object)
    mask = np.zeros(len(arr), dtype=bool)
    for c in _class_order(labels):
        idx = np.flatnonzero(arr == c)
        k = int(len(idx) * fraction)
        mask[rng.permutation(idx)[:k]] = True
    return mask


def _subset(r: Records, keep: np.ndarray) -> Records:
    idx = np.flatnonzero(keep)
    return Records([r.texts[i] for i in idx], [r.labels[i] for i in idx], [r.lines[i] for i in idx])


def spec_from_path(path: Path) -> UserCorpusSpec:
    if path.suffix.lower() != ".toml":
        return UserCorpusSpec(path.stem.split(".")[0], {"train": _check_file(path, "user corpus")}, origin=path)
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]

    try:
        cfg = tomllib.loads(decode(read_bytes(path), path))
    except tomllib.TOMLDecodeError as exc:
        raise CorpusError(f"{path}: not valid TOML ({exc})") from None
    known = {"name", "train", "valid", "test", "text", "label", "lowercase", "token_pattern", "max_length", "max_vocab"}
    unknown = sorted(set(cfg) - known)
    if unknown:
        raise CorpusError(f"{path}: unknown key {unknown[0]!r}; valid keys: {', '.join(sorted(known))}")
    if "train" not in cfg:
        raise CorpusError(f"{path}: no 'train' file named; add train = \"train.tsv\" (paths relative to the TOML)")
    files = {s: _check_file(path.parent / str(cfg[s]), f"{path}: {s} = {cfg[s]!r}")
             for s in ("train", "valid", "test") if s in cfg}
    pattern = cfg.get("token_pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise CorpusError(f"{path}: token_pattern {pattern!r} is not a valid regular expression ({exc})") from None
    for key in ("max_length", "max_vocab"):
        if key in cfg and (not isinstance(cfg[key], int) or cfg[key] < 1):
            raise CorpusError(f"{path}: {key} = {cfg[key]!r}; expected a positive integer")
    return UserCorpusSpec(str(cfg.get("name", path.stem)), files, str(cfg.get("text", "text")),
                          str(cfg.get("label", "label")), bool(cfg.get("lowercase", True)), pattern,
                          int(cfg.get("max_length", DEFAULT_MAX_LENGTH)), int(cfg.get("max_vocab", DEFAULT_MAX_VOCAB)),
                          path)


def load_user_corpus(path: str | Path, splits: Sequence[str] | None = None, max_length: int | None = None,
                     **_: object) -> Corpus:
    """Load a user corpus; ``splits`` as for the built-ins (training split first)."""
    spec = spec_from_path(Path(path))
    single = "test" not in spec.files
    if splits is None:
        names = tuple(s for s in ("train", "valid", "test") if s in spec.files or (s == "test" and single))
    else:
        names = requested_splits(splits)
    records: dict[str, Records] = {}
    for split in dict.fromkeys(["train" if single and s == "test" else s for s in names]):
        if split not in spec.files:
            raise CorpusError(f"user corpus {spec.origin} has no {split!r} split; it has: "
                              f"{', '.join(sorted(set(spec.files) | ({'test'} if single else set())))}")
        records[split] = read_records(spec.files[split], spec.text, spec.label)
    _check_label_spellings(records, spec.files)
    if single and "train" in records:
        mask = _stratified_test(records["train"].labels, TEST_FRACTION)
        whole = records["train"]
        records["train"], records["test"] = _subset(whole, ~mask), _subset(whole, mask)
    if spec.lowercase:
        for r in records.values():
            r.texts = [t.lower() for t in r.texts]
    train_name = names[0]
    class_names = _class_order(records[train_name].labels)
    classes = {c: i for i, c in enumerate(class_names)}
    raw = []
    for split in names:
        r = records[split]
        file = spec.files["train" if single and split == "test" else split]
        raw.append(RawSplit(split, r.texts, _to_ids(r, classes, file, split, train_name), file, file, r.lines))
    how = "one file, 20% of each class held out as test (seed 0)" if single else "files named in the TOML"
    return assemble(spec.name, raw, class_names=class_names, max_length=max_length or spec.max_length,
                    source=f"user corpus {spec.origin} ({how})", tokenize=spec.tokenizer(), max_vocab=spec.max_vocab)


def user_corpus_info(name: str) -> CorpusInfo:
    path = Path(name)
    if not is_file(path):
        raise CorpusError(f"user corpus {name!r}: no such file (a corpus path must name a .tsv, .csv, .jsonl or "
                          ".toml file; built-in corpora: bench list corpora)")
    spec = spec_from_path(path)
    present = tuple(spec.files) if "test" in spec.files else ("train", "test")
    return CorpusInfo(name, f"user corpus {path}", partial(load_user_corpus, path),
                      present=lambda data_dir=None: present, origin=f"user file {path}", max_length=spec.max_length)
