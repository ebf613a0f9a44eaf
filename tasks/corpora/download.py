"""``bench data download``: fetch the paper's corpora from their public repositories, verified and atomic.

Every file comes from a raw-file URL ``{base}/{owner}/{repo}/{commit}/{path}`` (GitHub's raw host by
default; ``base_url`` points at a mirror or a test server) and is checked before it is kept:
against its **git blob id** (sha1 of ``b"blob <size>\\0" + content``, the id the repository listing
shows) where that is known, and against a **sha256** recorded in the catalogue where that is known
(the yahoo/dbpedia label and vocabulary files, whose blob ids were not at hand).
No file is accepted without at least one of the two.  Which files, from where, with which ids: the
corpus's description (``CorpusInfo.sources``, built-ins in :mod:`tasks.corpora.catalogue`).

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
from http.client import HTTPException
from pathlib import Path
from typing import Callable

from tasks.corpora.datadir import describe_data_dir, resolve_data_dir
from tasks.corpora.files import read_bytes
from tasks.corpora.info import DEFAULT_BASE_URL, CorpusInfo, RemoteFile
from tasks.errors import CorpusError

TIMEOUT_S = 60
_CHUNK = 1 << 20


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


def sources_of(name: str) -> tuple[RemoteFile, ...]:
    """The files corpus ``name``'s description says to fetch; a corpus without any is a :class:`CorpusError`."""
    from sparsebench.hints import did_you_mean
    from tasks.corpora import corpus_info, registered

    entries = registered()
    why = ""
    if name in entries:
        info = corpus_info(name)  # a clashing or broken plugin says so here
        if info.sources:
            return info.sources
        generated = info.layout is None and info.origin == "built-in"
        why = (f" (the {name} corpus is generated, there is nothing to download)" if generated
               else f" ({info.origin}: its description lists no files to fetch)")
    # the built-ins' descriptions, and those of plugins imported already: listing imports no plugin
    downloadable = sorted(n for n, e in entries.items()
                          if (e.origin == "built-in" or isinstance(e.value, CorpusInfo)) and e.load().sources)
    raise CorpusError(f"no download source for corpus {name!r}{did_you_mean(name, downloadable) if not why else why}; "
                      f"downloadable: {', '.join(downloadable)}")


def download(name: str, data_dir: str | os.PathLike[str] | None = None, base_url: str = DEFAULT_BASE_URL,
             echo: Callable[[str], None] = print, timeout: float = TIMEOUT_S) -> list[Path]:
    """Fetch every file of corpus ``name`` that is not already present and verified."""
    sources = sources_of(name)
    folder = resolve_data_dir(data_dir) / name
    created = [p for p in (folder, *folder.parents) if not p.exists()]  # deepest first
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CorpusError(f"cannot create {folder}: {exc.strerror}; choose a writable --data-dir") from None
    try:
        echo(f"{name}: into {folder} (data folder {describe_data_dir(data_dir)})")
        paths: dict[str, Path] = {}
        for remote in sources:  # first what is already here, so a failed fetch still reports it
            present = _verified_copy(folder, remote)
            if present is not None:
                echo(f"  {remote.name}: already here, verified ({_checks(remote)})")
                paths[remote.name] = present
        for remote in sources:
            if remote.name not in paths:
                path = fetch(remote, folder, base_url, timeout)
                echo(f"  {remote.name}: downloaded {path.stat().st_size:,} bytes, verified ({_checks(remote)})")
                paths[remote.name] = path
    except BaseException:
        _remove_if_empty(created)  # "nothing was written" must leave nothing behind, not an empty folder
        raise
    return [paths[remote.name] for remote in sources]


def _remove_if_empty(folders: list[Path]) -> None:
    """Remove the folders this command created (deepest first) that are still empty."""
    for path in folders:
        try:
            path.rmdir()  # refuses a folder that is not empty: a file that did get written stays
        except OSError:
            return


def _checks(remote: RemoteFile) -> str:
    return " and ".join(k for k, v in (("git blob id", remote.blob), ("sha256", remote.sha256)) if v)
