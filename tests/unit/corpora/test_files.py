"""Line-level errors of the file reader: each names the file and the line."""
from __future__ import annotations

import gzip

import pytest

from tasks.corpora.files import find_file, read_lines, require_file
from tasks.errors import CorpusError


def test_plain_and_gz_read_the_same(tmp_path, write):
    plain = write(tmp_path / "a.txt", ["x y", "z"])
    packed = write(tmp_path / "b.txt", ["x y", "z"], gz=True)
    assert read_lines(plain) == read_lines(packed) == ["x y", "z"]
    assert find_file(tmp_path, "b.txt") == packed


def test_crlf_line_ends_are_stripped(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"one\r\ntwo\r\n")
    assert read_lines(tmp_path / "a.txt") == ["one", "two"]


def test_missing_file_names_it_and_the_hint(tmp_path):
    with pytest.raises(CorpusError, match=r"missing file .*train\.txt.*bench data download"):
        require_file(tmp_path, "train.txt", "bench data download yahoo")


@pytest.mark.parametrize("content", [b"", b"\n", b"  \n\n"])
def test_empty_file(tmp_path, content):
    (tmp_path / "a.txt").write_bytes(content)
    with pytest.raises(CorpusError, match=r"a\.txt is empty"):
        read_lines(tmp_path / "a.txt")


def test_empty_line_names_its_number(tmp_path, write):
    path = write(tmp_path / "a.txt", ["one", "two", "   ", "four"])
    with pytest.raises(CorpusError, match=r"a\.txt, line 3: empty line"):
        read_lines(path)


def test_undecodable_bytes_name_the_line(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"fine\nalso fine\ncaf\xe9 bad\n")
    with pytest.raises(CorpusError, match=r"a\.txt, line 3: bytes .* not valid UTF-8"):
        read_lines(tmp_path / "a.txt")


def test_truncated_gz_names_the_line_it_broke_at(tmp_path):
    data = gzip.compress(("".join(f"line {i}\n" for i in range(20000))).encode())
    (tmp_path / "a.txt.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(CorpusError, match=r"a\.txt\.gz, line \d+: corrupt gzip data.*download it again"):
        read_lines(tmp_path / "a.txt.gz")


def test_not_gzip_at_all(tmp_path):
    (tmp_path / "a.txt.gz").write_bytes(b"plain text, not gzip\n")
    with pytest.raises(CorpusError, match=r"a\.txt\.gz, line 1: corrupt gzip data"):
        read_lines(tmp_path / "a.txt.gz")
