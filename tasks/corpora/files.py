"""Reading corpus files, plain or gzip-compressed, with errors that name the file and the line.

Corpus files are read whole (a 100K-review Yelp split is ~50 MB of text) and split into lines once:
that is much faster than a Python-level loop over a file object, and it lets every problem be
reported with its line number: an undecodable byte, an empty line, a gzip stream that breaks off.
"""
from __future__ import annotations

import gzip
import zlib
from pathlib import Path

from tasks.errors import CorpusError

_CHUNK = 1 << 20
NEWLINE = b"\n"


def is_file(path: Path) -> bool:
    """``path.is_file()``, except that a folder this process may not search is a :class:`CorpusError`
    naming it (pathlib raises ``PermissionError`` there, which would be a traceback)."""
    try:
        return path.is_file()
    except PermissionError:
        raise CorpusError(f"{path.parent} cannot be read (permission denied): make the folder readable "
                          f"(chmod u+rx {path.parent}) or point --data-dir elsewhere") from None


def is_dir(path: Path) -> bool:
    """``path.is_dir()``, with a folder this process may not search as a :class:`CorpusError` (see :func:`is_file`)."""
    try:
        return path.is_dir()
    except PermissionError:
        raise CorpusError(f"{path} cannot be read (permission denied): make it readable (chmod u+rx) "
                          "or point --data-dir elsewhere") from None


def find_file(folder: Path, name: str) -> Path | None:
    """``folder/name`` or ``folder/name.gz``, whichever exists (plain first); None if neither."""
    for candidate in (folder / name, folder / f"{name}.gz"):
        if is_file(candidate):
            return candidate
    return None


def require_file(folder: Path, name: str, hint: str = "") -> Path:
    """Like :func:`find_file` but a missing file is a :class:`CorpusError` that says what would help."""
    path = find_file(folder, name)
    if path is None:
        raise CorpusError(f"missing file {folder / name} (or {name}.gz){'; ' + hint if hint else ''}")
    return path


def _line_of(data: bytes, position: int) -> int:
    return data.count(b"\n", 0, position) + 1


def read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when the name ends in ``.gz``; a corrupt stream names the line it broke at."""
    try:
        if path.suffix != ".gz":
            return path.read_bytes()
        chunks: list[bytes] = []
        try:
            with gzip.open(path, "rb") as fh:
                while chunk := fh.read(_CHUNK):
                    chunks.append(chunk)
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            good = b"".join(chunks)
            raise CorpusError(
                f"{path}, line {good.count(NEWLINE) + 1}: corrupt gzip data ({exc}); "
                "the file is damaged or truncated: "
                "download it again (bench data download NAME) or replace it with a good copy"
            ) from None
        return b"".join(chunks)
    except FileNotFoundError:
        raise CorpusError(f"missing file {path}") from None
    except IsADirectoryError:
        raise CorpusError(f"{path} is a folder, expected a file") from None
    except PermissionError:
        raise CorpusError(f"{path} cannot be read (permission denied)") from None


def decode(data: bytes, path: Path) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 4]
        raise CorpusError(
            f"{path}, line {_line_of(data, exc.start)}: bytes {bad!r} are not valid UTF-8; "
            "re-encode the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)"
        ) from None


def read_lines(path: Path, *, allow_empty_lines: bool = False) -> list[str]:
    """All lines of a UTF-8 text file (``\\r\\n`` or ``\\n``), without their line ends.

    An empty file, or an empty (whitespace-only) line, is a :class:`CorpusError` naming the line:
    an empty sentence has no tokens to encode, and silently dropping it would shift every later
    line against its label.
    """
    text = decode(read_bytes(path), path)
    if text.endswith("\n"):
        text = text[:-1]
    if not text.strip():
        raise CorpusError(f"{path} is empty: expected one item a line")
    lines = text.split("\n")
    if "\r" in text:
        lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    if not allow_empty_lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                raise CorpusError(f"{path}, line {number}: empty line; every line must hold one item")
    return lines
