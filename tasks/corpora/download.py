"""``bench data download``: fetch the paper's corpora from their public repositories, verified and atomic.

Every file comes from a raw-file URL ``{base}/{owner}/{repo}/{commit}/{path}`` (GitHub's raw host by
default; ``base_url`` points at a mirror or a test server) and is checked before it is kept:
against its **git blob id** (sha1 of ``b"blob <size>\\0" + content``, the id the repository listing
shows) where that is known, and against the **sha256** of the data README's checksum table where that
is known (the yahoo/dbpedia label and vocabulary files, whose blob ids the README does not give).
No file is accepted without at least one of the two.

A file is streamed into a hidden ``.NAME.*.part`` file in the target folder, verified, flushed to
disk, and only then renamed onto its final name (``os.replace``, atomic on one file system).  An
interrupted, refused or corrupt download therefore leaves nothing under a name a loader reads.
"""
from __future__ import annotations

import hashlib
import os
import socket
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path
from typing import Callable

from tasks.corpora.datadir import describe_data_dir, resolve_data_dir
from tasks.corpora.files import read_bytes
from tasks.errors import CorpusError

DEFAULT_BASE_URL = "https://raw.githubusercontent.com"
TIMEOUT_S = 60
_CHUNK = 1 << 20

HSVAE = ("VictorProkhorov/HSVAE", "bf5e561ddb10a95c1ad69bb350e87c092e8c9cfa")
IMPLICIT_LVM = ("fangleai/Implicit-LVM", "master")


@dataclass(frozen=True)
class RemoteFile:
    """One file to fetch: where it lives, what it is called here, and what it must hash to."""

    repo: str
    ref: str
    path: str
    name: str
    blob: str | None = None  # git blob id (sha1 of "blob <size>\0" + content)
    sha256: str | None = None

    def url(self, base_url: str = DEFAULT_BASE_URL) -> str:
        return f"{base_url.rstrip('/')}/{self.repo}/{self.ref}/{self.path}"


def _hsvae(folder: str, name: str, blob: str | None = None, sha256: str | None = None) -> RemoteFile:
    return RemoteFile(*HSVAE, f"Data/{folder}/{name}", name, blob, sha256)


def _yelp(split: str, blob: str) -> RemoteFile:
    return RemoteFile(*IMPLICIT_LVM, f"lang_model_yelp/data/yelp.{split}.txt", f"yelp.{split}.txt", blob)


#: corpus → files, with the ids and checksums of ../shared/data/README.md (none invented).
SOURCES: dict[str, tuple[RemoteFile, ...]] = {
    "yahoo": (
        _hsvae("New_Yahoo", "train.txt", blob="d2aafbc640f48d0c90fbe3318c59812c92782484"),
        _hsvae("New_Yahoo", "valid.txt", blob="88fa017b4e4b3fc3198fdbb2ce48b9abf914d16a",
               sha256="7606bdb2ba45a93bb5d34f61be13f55bcc2fac4c50551651642ea0d017a6c589"),
        _hsvae("New_Yahoo", "test.txt", blob="2bb7ad12f719273b339220d1d230f0101160ee90",
               sha256="fec4ce3e72eea711eda9e1fd5722de8774be168f6dc1f54a411a7a643a27e0e6"),
        _hsvae("New_Yahoo", "train_class_label.txt",
               sha256="29275ceeb2a72406870843c1c8d3ae99955932025205f5f0c1b7dcf5482d6d29"),
        _hsvae("New_Yahoo", "valid_class_label.txt",
               sha256="e83ff91f64ebf38f9413ab07043768c070dbef5a60329fe8d285e54a4dc8cd2c"),
        _hsvae("New_Yahoo", "test_class_label.txt",
               sha256="3e83f5bb5eab810942ca0225ce49d0ecbe3c01dff438260ad636be00a27f59fe"),
        _hsvae("New_Yahoo", "vocab.txt", sha256="c8e82054092edbfc953bb9b8e52f6d983aefe57e853860ee88e9440f5a6dc706"),
    ),
    "dbpedia": (
        _hsvae("New_DBPedia", "train.txt", blob="ed1e3fc01b05f9d33c7179ce8f07c6c66b9dd56a"),
        _hsvae("New_DBPedia", "valid.txt", blob="b4d70977a8dfd196e116e7033b4bcc838b34c6fb",
               sha256="06765314fa2761a8f8ec716723cf9cae96b44aedcefe76b77ddc16f734650d9f"),
        _hsvae("New_DBPedia", "test.txt", blob="2ebafdffff0e80e6cf0a4eda3ce5b86500b9085b",
               sha256="a39faa91fedad14a4df9576c288d6f8569a66163cf6644ee88c355b13f1f9552"),
        _hsvae("New_DBPedia", "train_class_label.txt",
               sha256="45c98e778359d517320ca838be55e00f2e7306f7fee957cab46c4e4131697aa4"),
        _hsvae("New_DBPedia", "valid_class_label.txt",
               sha256="d605651fafa037419af6fabb9caf58f4c3e6584290a1696189addba6b81624ec"),
        _hsvae("New_DBPedia", "test_class_label.txt",
               sha256="d605651fafa037419af6fabb9caf58f4c3e6584290a1696189addba6b81624ec"),
        _hsvae("New_DBPedia", "vocab.txt", sha256="3853e00a6bd1011a5b266947f45d1d79bf6f4372d6cb4bc73c0131e3e67ffd5f"),
    ),
    "yelp": (
        _yelp("train", "2c4c802349fd14b932d2dead17846ca6b4e1b870"),
        _yelp("valid", "5280a264fbc11a7795cef76bb79541d67e65c568"),
        _yelp("test", "8c61afcb9c034eb53cc390c315c276fbdbed5a19"),
    ),
}


def git_blob_id(data: bytes) -> str:
    """``git hash-object``: sha1 of ``b"blob <size>\\0" + content``."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def file_digests(path: Path) -> tuple[str, str]:
    """(git blob id, sha256) of a file, in one streaming pass."""
    size = path.stat().st_size
    blob, sha = hashlib.sha1(b"blob %d\0" % size), hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            blob.update(chunk)
            sha.update(chunk)
    return blob.hexdigest(), sha.hexdigest()


def mismatch(remote: RemoteFile, blob: str, sha256: str) -> str | None:
    """Why the content is not the expected file, or None when every known id matches."""
    if remote.blob is None and remote.sha256 is None:
        raise CorpusError(f"{remote.name}: no git blob id or sha256 is known, refusing an unverifiable download")
    if remote.blob is not None and blob != remote.blob:
        return f"git blob id {blob}, expected {remote.blob}"
    if remote.sha256 is not None and sha256 != remote.sha256:
        return f"sha256 {sha256}, expected {remote.sha256}"
    return None


def _verified_copy(folder: Path, remote: RemoteFile) -> Path | None:
    """An already-present ``name`` or ``name.gz`` whose (uncompressed) content verifies."""
    for candidate in (folder / remote.name, folder / f"{remote.name}.gz"):
        if candidate.is_file():
            try:
                data = read_bytes(candidate)
            except CorpusError:
                continue
            if mismatch(remote, git_blob_id(data), hashlib.sha256(data).hexdigest()) is None:
                return candidate
    return None


def _network_error(url: str, exc: BaseException) -> CorpusError:
    if isinstance(exc, urllib.error.HTTPError):
        return CorpusError(f"{url}: the server answered HTTP {exc.code} {exc.reason}; nothing was written "
                           "(is the base URL right? a mirror must keep the owner/repo/commit/path layout)")
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    return CorpusError(f"cannot download {url}: network unreachable or refused ({reason}); nothing was written. "
                       "Check the connection, or fetch from a mirror with --base-url, or copy the files into the "
                       "data folder by hand")


def fetch(remote: RemoteFile, folder: Path, base_url: str = DEFAULT_BASE_URL, timeout: float = TIMEOUT_S) -> Path:
    """Download, verify and atomically install one file; returns its final path."""
    url = remote.url(base_url)
    dest = folder / remote.name
    for stale in folder.glob(f".{remote.name}.*.part"):
        stale.unlink(missing_ok=True)  # left by a killed process: never valid, never read
    try:
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{remote.name}.", suffix=".part")
    except OSError as exc:
        raise CorpusError(f"cannot write into {folder}: {exc.strerror}; choose a writable --data-dir") from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:
                    while chunk := response.read(_CHUNK):
                        out.write(chunk)
            except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, HTTPException) as exc:
                raise _network_error(url, exc) from None
            out.flush()
            os.fsync(out.fileno())
        blob, sha = file_digests(tmp)
        why = mismatch(remote, blob, sha)
        if why is not None:
            raise CorpusError(f"{url}: downloaded {tmp.stat().st_size:,} bytes do not match {remote.name} ({why}); "
                              "the file was discarded and nothing was written. The server may hold another "
                              "version or the transfer was damaged: try again or use another --base-url")
        os.replace(tmp, dest)
        return dest
    finally:
        tmp.unlink(missing_ok=True)


def download(name: str, data_dir: str | os.PathLike[str] | None = None, base_url: str = DEFAULT_BASE_URL,
             echo: Callable[[str], None] = print, timeout: float = TIMEOUT_S) -> list[Path]:
    """Fetch every file of corpus ``name`` that is not already present and verified."""
    if name not in SOURCES:
        from sparsebench.hints import did_you_mean

        extra = " (the synthetic corpus is generated, there is nothing to download)" if name == "synthetic" else ""
        raise CorpusError(f"no download source for corpus {name!r}{did_you_mean(name, SOURCES)}{extra}; "
                          f"downloadable: {', '.join(sorted(SOURCES))}")
    folder = resolve_data_dir(data_dir) / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CorpusError(f"cannot create {folder}: {exc.strerror}; choose a writable --data-dir") from None
    echo(f"{name}: into {folder} (data folder {describe_data_dir(data_dir)})")
    paths: dict[str, Path] = {}
    for remote in SOURCES[name]:  # first what is already here, so a failed fetch still reports it
        present = _verified_copy(folder, remote)
        if present is not None:
            echo(f"  {remote.name}: already here, verified ({_checks(remote)})")
            paths[remote.name] = present
    for remote in SOURCES[name]:
        if remote.name not in paths:
            path = fetch(remote, folder, base_url, timeout)
            echo(f"  {remote.name}: downloaded {path.stat().st_size:,} bytes, verified ({_checks(remote)})")
            paths[remote.name] = path
    return [paths[remote.name] for remote in SOURCES[name]]


def _checks(remote: RemoteFile) -> str:
    return " and ".join(k for k, v in (("git blob id", remote.blob), ("sha256", remote.sha256)) if v)
