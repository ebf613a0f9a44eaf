"""The on-disk embedding cache: a corpus split embedded once per encoder identity, verified when reused.

Encoding 20K sentences takes minutes on a small CPU and every cell of a grid needs the same matrix,
so it is computed once per (encoder identity, corpus checksum, split, normalisation) and kept on disk
as an ``.npy`` file beside a JSON sidecar that holds what produced it and the file's sha256.  A cache
file is only used after that checksum and key are verified; a damaged one is recomputed with a
warning, never silently used.  Files live under :func:`bench.encoders.folders.embeddings_dir`.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from bench.encoders.compute import encode_in_batches, load_model, torch_threads
from bench.encoders.folders import embeddings_dir
from bench.encoders.identity import EncoderRef, TextEncoder, encoder_key, hash_json, resolve_encoder
from bench.errors import UserError
from bench.store.results import atomic_write_bytes
from tasks.corpora.base import Corpus

#: Bumped whenever what a cache file holds, or how its key is made, changes: old files are then missed.
CACHE_FORMAT = 1


class EmbeddingCacheWarning(UserWarning):
    """A cache file was damaged or did not match its sidecar, and is being recomputed."""


@dataclass(frozen=True)
class EmbeddedSplit:
    """A split's embeddings (float32 ``[N, dim]``, split order), its labels, and where they came from.

    ``provenance``: ``encoder`` (identity), ``encoder_key``, ``corpus``, ``corpus_checksum``,
    ``split``, ``n``, ``dim``, ``normalize`` (asked for), ``unit_norm`` (every row has norm 1),
    ``cache_file``, ``cache_sha256``, ``cache_key``, ``from_cache``, ``seconds`` (this call),
    ``compute_seconds`` and ``sentences_per_s`` (of the encoding that produced the file, model
    loading excluded), ``computed`` (device, torch threads, batch size, time, versions).
    """

    embeddings: np.ndarray
    labels: np.ndarray
    provenance: dict[str, Any]

    @property
    def n(self) -> int:
        return int(self.embeddings.shape[0])

    @property
    def dim(self) -> int:
        return int(self.embeddings.shape[1])

    @property
    def from_cache(self) -> bool:
        return bool(self.provenance["from_cache"])


def cache_key(encoder: EncoderRef | TextEncoder, corpus_checksum: str, split_name: str, normalize: bool) -> str:
    """The embedding cache key: encoder identity, corpus content, split, normalisation, cache format."""
    return hash_json({"format": CACHE_FORMAT, "encoder": encoder_key(encoder), "corpus": corpus_checksum,
                       "split": split_name, "normalize": bool(normalize)}, what="cache key")


def embed_split(encoder: str | os.PathLike[str] | EncoderRef | TextEncoder, corpus: Corpus, split_name: str, *,
                cache_dir: str | os.PathLike[str] | None = None, batch_size: int = 64, device: str = "cpu",
                normalize: bool = False, progress: bool | str | None = None,
                threads: int | None = None) -> EmbeddedSplit:
    """The embeddings of ``corpus``'s split ``split_name``: from the cache when verified, else computed.

    ``encoder`` is a name or folder (see :func:`resolve_encoder`), a resolved :class:`EncoderRef`, or
    any :class:`TextEncoder`.  ``normalize=True`` L2-normalises on top of the model's own pipeline
    (a different cache entry); the default keeps the pipeline as it is, and ``unit_norm`` in the
    provenance records what it did.  ``progress`` while computing (a cache hit is silent): a
    :class:`~bench.encoders.compute.Progress` style, True for a bar, False for nothing; by default a
    bar when stderr is a terminal and progress lines when it is not (a worker, a log, a pipe).  ``threads``: torch threads for this encoding (None: torch's own setting; see
    :meth:`EncoderRef.encode`); it changes speed only, so it is not part of the key.  Concurrent
    callers (``--jobs N``) wait on a lock file instead of encoding twice.
    """
    started = time.perf_counter()
    if isinstance(encoder, (str, os.PathLike)):
        encoder = resolve_encoder(encoder, cache_dir=cache_dir)
    elif not isinstance(encoder, (EncoderRef, TextEncoder)):
        raise UserError(f"encoder {encoder!r} is neither a model name or folder nor an object with "
                        "`encode(list[str]) -> ndarray` and an `identity` dict")
    if batch_size < 1:
        raise UserError(f"batch_size must be at least 1, got {batch_size}")
    if threads is not None and threads < 1:
        raise UserError(f"threads must be at least 1 (or None for torch's own setting), got {threads}")
    if progress is None:
        progress = "bar" if sys.stderr.isatty() else "lines"
    split = corpus.split(split_name)
    key = cache_key(encoder, corpus.checksum, split_name, normalize)
    folder = embeddings_dir(cache_dir)
    folder.mkdir(parents=True, exist_ok=True)
    npy, sidecar_path = folder / f"{key}.npy", folder / f"{key}.json"
    with _locked(folder / f"{key}.lock"):
        cached = _read_cache(npy, sidecar_path, key, len(split))
        if cached is not None:
            array, sidecar = cached
        else:
            array, sidecar = _compute(encoder, corpus, split_name, key, batch_size=batch_size, device=device,
                                      normalize=normalize, progress=progress, threads=threads)
            _write_cache(npy, sidecar_path, array, sidecar)
    provenance = {
        "encoder": dict(encoder.identity), "encoder_key": sidecar["encoder_key"], "corpus": corpus.name,
        "corpus_checksum": corpus.checksum, "split": split_name, "n": int(array.shape[0]),
        "dim": int(array.shape[1]), "normalize": bool(normalize), "unit_norm": sidecar["unit_norm"],
        "cache_file": str(npy), "cache_sha256": sidecar["sha256"], "cache_key": key, "from_cache": cached is not None,
        "seconds": round(time.perf_counter() - started, 4), "compute_seconds": sidecar["compute_seconds"],
        "sentences_per_s": sidecar["sentences_per_s"], "computed": sidecar["computed"],
    }
    return EmbeddedSplit(embeddings=array, labels=split.labels, provenance=provenance)


def _compute(encoder: EncoderRef | TextEncoder, corpus: Corpus, split_name: str, key: str, *, batch_size: int,
             device: str, normalize: bool, progress: bool | str,
             threads: int | None) -> tuple[np.ndarray, dict[str, Any]]:
    texts = corpus.split(split_name).texts(corpus.vocab)
    used_threads = None
    label = f"embedding {corpus.name}/{split_name} with {encoder.identity.get('name', 'the encoder')}"
    if isinstance(encoder, EncoderRef):
        # loading is not encoding: keep it out of the timing
        load_model(encoder.path, device, quiet=progress not in (True, "bar"))
        used_threads = torch_threads(threads)
        t0 = time.perf_counter()
        array = encoder.encode(texts, batch_size=batch_size, device=device, normalize=normalize, progress=progress,
                               threads=threads, label=label)
    else:
        t0 = time.perf_counter()
        array = encode_in_batches(encoder, texts, batch_size, progress, label)
        if normalize:
            array = array / np.maximum(np.linalg.norm(array, axis=1, keepdims=True), 1e-12)
    seconds = time.perf_counter() - t0
    array = np.ascontiguousarray(array, dtype=np.float32)
    if array.ndim != 2 or array.shape[0] != len(texts) or not np.isfinite(array).all():
        raise ValueError(f"encoder {encoder.identity.get('name', encoder)!r} returned an array of shape "
                         f"{array.shape} (finite: {bool(np.isfinite(array).all())}) for {len(texts)} sentences; "
                         "expected [n_sentences, dim] with finite values")
    norms = np.linalg.norm(array, axis=1)
    sidecar = {
        "format": CACHE_FORMAT, "key": key, "encoder_key": encoder_key(encoder), "encoder": dict(encoder.identity),
        "corpus": corpus.name, "corpus_checksum": corpus.checksum, "split": split_name,
        "n": int(array.shape[0]), "dim": int(array.shape[1]), "normalize": bool(normalize),
        "unit_norm": bool(len(norms) and np.allclose(norms, 1.0, atol=1e-3)),
        "compute_seconds": round(seconds, 3), "sentences_per_s": round(len(texts) / max(seconds, 1e-9), 1),
        "computed": {"device": device, "batch_size": batch_size, "torch_threads": used_threads,
                     "torch": getattr(sys.modules.get("torch"), "__version__", None), "numpy": np.__version__,
                     "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")},
    }
    return array, sidecar


# ------------------------------------------------------------------------------------------ cache

def _read_cache(npy: Path, sidecar_path: Path, key: str, n: int) -> tuple[np.ndarray, dict[str, Any]] | None:
    """The verified cached array and sidecar, or None (with a warning when a file was there but bad)."""
    if not npy.exists() and not sidecar_path.exists():
        return None
    try:
        sidecar = json.loads(sidecar_path.read_text())
        data = npy.read_bytes()
        if sidecar.get("format") != CACHE_FORMAT or sidecar.get("key") != key:
            raise ValueError("its sidecar belongs to another key or cache format")
        if hashlib.sha256(data).hexdigest() != sidecar.get("sha256"):
            raise ValueError("its sha256 does not match the sidecar's")
        array = np.load(io.BytesIO(data), allow_pickle=False)
        if array.dtype != np.float32 or array.shape != (n, sidecar.get("dim")):
            raise ValueError(f"it holds {array.dtype} {array.shape}, expected float32 ({n}, {sidecar.get('dim')})")
    except (OSError, ValueError, AttributeError, EOFError) as exc:
        why = exc if type(exc) is ValueError else f"{type(exc).__name__}: {exc}"
        warnings.warn(f"embedding cache {npy} is unusable ({why}); recomputing it", EmbeddingCacheWarning,
                      stacklevel=3)
        return None
    return array, sidecar


def _write_cache(npy: Path, sidecar_path: Path, array: np.ndarray, sidecar: dict[str, Any]) -> None:
    """The array first, then the sidecar that vouches for it, each atomically (temp file + os.replace)."""
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    data = buffer.getvalue()
    sidecar["sha256"] = hashlib.sha256(data).hexdigest()
    atomic_write_bytes(npy, data)
    atomic_write_bytes(sidecar_path, json.dumps(sidecar, indent=1, sort_keys=True).encode())


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (POSIX); elsewhere no lock, and a race only costs a recompute."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


