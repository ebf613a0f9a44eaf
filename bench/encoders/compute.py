"""Computing sentence embeddings: a sentence-transformers model loaded once per process, or any encoder object.

torch and sentence-transformers (the optional extra ``sparsebench[embed]``) are imported inside
functions, so importing this module, and ``bench --help``, stays free of them.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np

from bench.errors import UserError
from bench.threads import pinned_threads

INSTALL_EMBED = "install it with `pip install 'sparsebench[embed]'`"

_MODELS: dict[tuple[str, str], Any] = {}


def load_model(folder: Path, device: str, *, quiet: bool) -> Any:
    """The SentenceTransformer for ``folder`` on ``device``, loaded once per process, in eval mode."""
    key = (str(folder), device)
    if key not in _MODELS:
        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging
        except ImportError as exc:
            raise UserError(f"frozen encoders need sentence-transformers ({exc}); {INSTALL_EMBED}") from None
        bar_was_on = hf_logging.is_progress_bar_enabled()
        if quiet:
            hf_logging.disable_progress_bar()
        try:
            model = SentenceTransformer(str(folder), device=device, local_files_only=True)
        except Exception as exc:  # a damaged folder fails deep in transformers/safetensors, each its own way
            why = (str(exc).strip().splitlines() or [""])[0]
            raise UserError(f"the frozen encoder in {folder} cannot be loaded ({type(exc).__name__}: {why}); its files "
                            "are damaged or incomplete (a truncated model.safetensors?): copy or download it again, "
                            "or point --encoder at a complete folder") from None
        finally:
            if quiet and bar_was_on:
                hf_logging.enable_progress_bar()
        _MODELS[key] = model.eval()
    return _MODELS[key]


def encode_with_model(folder: Path, texts: list[str], *, batch_size: int = 64, device: str = "cpu",
                      normalize: bool = False, progress: bool = False, threads: int | None = None) -> np.ndarray:
    """Embeddings ``[len(texts), dim]`` (float32) by the model in ``folder``'s own pipeline, in input order.

    sentence-transformers sorts by length inside ``encode`` (less padding) and restores the
    order; the model is in eval mode (no dropout), so the result is deterministic.  ``threads``
    None keeps torch's thread count (the caller's, ``OMP_NUM_THREADS``, or bench's cores ÷ jobs);
    a number sets it for this call only.  On a CPU that other processes keep busy, fewer threads
    are faster: on 2 cores shared with two busy processes, 1 thread embedded 121 sentences/s
    and 2 threads 55 (batch 64), because each parallel step waits for a descheduled thread.
    """
    model = load_model(folder, device, quiet=not progress)
    with pinned_threads(threads):
        out = model.encode(list(texts), batch_size=batch_size, show_progress_bar=progress,
                           convert_to_numpy=True, normalize_embeddings=normalize)
    return np.asarray(out, dtype=np.float32)


def torch_threads(threads: int | None) -> int:
    """The torch threads an encoding runs with: ``threads``, else torch's current setting."""
    return threads or sys.modules["torch"].get_num_threads()


def encode_in_batches(encoder: Any, texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
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
