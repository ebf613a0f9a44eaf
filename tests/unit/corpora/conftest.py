"""Fixtures for corpus tests: small corpora written in the real layouts, and a local HTTP server."""
from __future__ import annotations

import functools
import gzip
import http.server
import threading
from pathlib import Path

import pytest


def write_lines(path: Path, lines, *, gz: bool = False) -> Path:
    data = "".join(f"{line}\n" for line in lines).encode()
    if gz:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


TEXTS = {
    "train": ["the cat sat", "a dog ran far", "the bird flew away home", "one more line here"],
    "valid": ["the cat ran", "a bird sat"],
    "test": ["the dog flew", "a cat sat home"],
}
LABELS = {"train": [0, 1, 2, 1], "valid": [1, 2], "test": [1, 2]}


@pytest.fixture
def hsvae_dir(tmp_path):
    """A tiny yahoo in the HSVAE layout under ``<tmp>/data/yahoo``; returns the data dir."""
    folder = tmp_path / "data" / "yahoo"
    folder.mkdir(parents=True)
    for split, texts in TEXTS.items():
        write_lines(folder / f"{split}.txt", texts)
        write_lines(folder / f"{split}_class_label.txt", LABELS[split])
    write_lines(folder / "vocab.txt", ["the", "cat", "sat", "a", "dog", "", "ran", "_UNK"])
    return tmp_path / "data"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output clean
        pass


@pytest.fixture
def http_root(tmp_path):
    """(folder, base URL) of an HTTP server on 127.0.0.1 serving ``folder``, stopped after the test."""
    root = tmp_path / "www"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def write():
    """``write(path, lines, gz=False)`` → the path written (``.gz`` appended when compressed)."""
    return write_lines
