"""A trained cell behind MTEB's encoder protocol, so MTEB's tasks can score sparsebench codes.

MTEB (≥ 2) calls ``encode(inputs, *, task_metadata, hf_split, hf_subset, prompt_type=None, **kwargs)``
with ``inputs`` a DataLoader of batches ``{"text": [...], ...}`` and expects an ``[N, D]`` array;
MTEB 1.x passed a list of sentences and ``task_name``.  :class:`MTEBEncoder` takes either, and ignores
prompts (the cell was trained without instructions; ``use_instructions`` is False).  Its
``mteb_model_meta`` marks the model sparse (``model_type = ["sparse"]``) and names its similarity:
the dot product for methods with exact zeros (the sparse autoencoders, as sentence-transformers'
``SparseEncoder`` scores), cosine for the others.  mteb itself is optional: without it the metadata
is a plain dict of the same fields.
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from bench.errors import UserError


class MTEBEncoder:
    """MTEB's encoder protocol over a :class:`~bench.use.encoder.CellEncoder` (see the module docstring)."""

    def __init__(self, encoder: Any, mode: str | None = None, *, similarity: str | None = None,
                 batch_size: int | None = None) -> None:
        self.encoder = encoder
        self.mode = encoder.check_mode(mode)
        exact_zeros = bool(type(encoder.model).exact_zeros)
        self.similarity_fn_name = similarity or ("dot" if exact_zeros else "cosine")
        if self.similarity_fn_name not in ("dot", "cosine"):
            raise UserError(f"similarity {similarity!r}: use dot or cosine")
        self.batch_size = batch_size

    # -- the protocol ------------------------------------------------------------------------
    def encode(self, inputs: Any, *, task_metadata: Any = None, hf_split: str | None = None,
               hf_subset: str | None = None, prompt_type: Any = None, **kwargs: Any) -> np.ndarray:
        """``[N, D]`` float32 codes of ``inputs`` (a DataLoader of ``{"text": [...]}`` batches, or sentences)."""
        sentences = texts_of(inputs)
        batch_size = self.batch_size or kwargs.get("batch_size")
        return self.encoder.encode(sentences, self.mode, batch_size=batch_size,
                                   progress=bool(kwargs.get("show_progress_bar", False)))

    def similarity(self, embeddings1: Any, embeddings2: Any) -> np.ndarray:
        a, b = _matrix(embeddings1), _matrix(embeddings2)
        if self.similarity_fn_name == "cosine":
            a, b = _unit(a), _unit(b)
        return a @ b.T

    def similarity_pairwise(self, embeddings1: Any, embeddings2: Any) -> np.ndarray:
        a, b = _matrix(embeddings1), _matrix(embeddings2)
        if self.similarity_fn_name == "cosine":
            a, b = _unit(a), _unit(b)
        return np.sum(a * b, axis=1)

    @property
    def mteb_model_meta(self) -> Any:
        """MTEB's ``ModelMeta`` when mteb is installed, else the same fields as a dict."""
        fields = self.model_meta_fields()
        model_meta = _mteb_model_meta_class()
        if model_meta is None:
            return fields
        known = getattr(model_meta, "model_fields", None) or {}
        return model_meta(**{k: v for k, v in fields.items() if not known or k in known})

    def model_meta_fields(self) -> dict[str, Any]:
        enc = self.encoder
        spec, record = enc.spec, enc.cell.record
        frozen = record["config"].get("encoder") or {}
        n_parameters = int(sum(p.numel() for p in enc.model.parameters()))
        return {
            "loader": None, "name": f"sparsebench/{spec.label}-{spec.corpus}-{enc.cell_id}", "revision": enc.cell_id,
            "release_date": str(record.get("finished", ""))[:10] or None, "languages": None,
            "n_parameters": n_parameters, "memory_usage_mb": round(n_parameters * 4 / 2 ** 20, 2),
            "max_tokens": (enc.state.get("tokenizer") or {}).get("max_tokens"), "embed_dim": enc.latent_dim,
            "license": None, "open_weights": True, "public_training_code": None,
            "public_training_data": spec.corpus, "framework": ["PyTorch"], "reference": None,
            "similarity_fn_name": self.similarity_fn_name, "use_instructions": False,
            "training_datasets": {spec.corpus}, "adapted_from": frozen.get("name") or spec.encoder or None,
            "modalities": ["text"], "model_type": ["sparse"],
        }


def _mteb_model_meta_class() -> Any:
    """MTEB's ``ModelMeta`` class where this mteb keeps it (2.x: ``mteb.models.model_meta``), or None."""
    import importlib

    for module in ("mteb.models.model_meta", "mteb.model_meta", "mteb"):
        try:
            return getattr(importlib.import_module(module), "ModelMeta")
        except (ImportError, AttributeError):
            continue
    return None


def texts_of(inputs: Any) -> list[str]:
    """The sentences of MTEB's inputs: a DataLoader (or any iterable) of ``{"text": [...]}`` batches, or strings."""
    if isinstance(inputs, str):
        raise UserError("encode takes sentences or batches of them, not one string")
    out: list[str] = []
    for item in _iterate(inputs):
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict) and "text" in item:
            texts = item["text"]
            out.extend([texts] if isinstance(texts, str) else [str(t) for t in texts])
        else:
            raise UserError(f"cannot read sentences from a {type(item).__name__}: expected strings or MTEB batches "
                            "with a 'text' list")
    return out


def _iterate(inputs: Any) -> Iterable[Any]:
    try:
        return iter(inputs)
    except TypeError:
        raise UserError(f"cannot read sentences from a {type(inputs).__name__}") from None


def _matrix(x: Any) -> np.ndarray:
    array = np.asarray(x.detach().cpu() if hasattr(x, "detach") else x, dtype=np.float32)
    return array[None, :] if array.ndim == 1 else array


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
