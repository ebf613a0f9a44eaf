"""Computing sentence embeddings: a sentence-transformers model loaded once per process, or any encoder object.

torch and sentence-transformers (the optional extra ``sparsebench[embed]``) are imported inside
functions, so importing this module, and ``bench --help``, stays free of them.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, Callable, TextIO

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


#: Batches per call to the model.  A call is the unit of progress and nothing else: the sentences are
#: sorted by length over the whole split first (as one call would sort them), so the batches are
#: those one call would form, up to the order of sentences of equal length.
CHUNK_BATCHES = 16


def encode_with_model(folder: Path, texts: list[str], *, batch_size: int = 64, device: str = "cpu",
                      normalize: bool = False, progress: bool | str = False, threads: int | None = None,
                      label: str = "embedding") -> np.ndarray:
    """Embeddings ``[len(texts), dim]`` (float32) by the model in ``folder``'s own pipeline, in input order.

    sentence-transformers sorts by length inside ``encode`` (less padding) and restores the order;
    here the whole list is sorted once and given to the model in chunks of ``CHUNK_BATCHES`` batches,
    so that the encoding can say how far it is (``progress``, see :class:`Progress`) whether or not
    stderr is a terminal; the chunks are the same with and without progress.  The model is in eval
    mode (no dropout), so the result is deterministic.  ``threads`` None keeps torch's thread count
    (the caller's, ``OMP_NUM_THREADS``, or bench's cores ÷ jobs); a number sets it for this call only.
    On a CPU that other processes keep busy, fewer threads are faster: on 2 cores shared with two busy
    processes, 1 thread embedded 121 sentences/s and 2 threads 55 (batch 64), because each parallel
    step waits for a descheduled thread.
    """
    model = load_model(folder, device, quiet=progress not in (True, "bar"))
    order = np.argsort([-len(text) for text in texts], kind="stable")
    step = batch_size * CHUNK_BATCHES
    parts = []
    with pinned_threads(threads), Progress(len(texts), label, progress) as shown:
        for start in range(0, len(texts), step):
            chunk = [texts[i] for i in order[start:start + step]]
            parts.append(np.asarray(model.encode(chunk, batch_size=batch_size, show_progress_bar=False,
                                                 convert_to_numpy=True, normalize_embeddings=normalize),
                                    dtype=np.float32))
            shown.update(len(chunk))
    if not parts:
        return np.zeros((0, model.get_sentence_embedding_dimension() or 0), np.float32)
    out = np.empty((len(texts), parts[0].shape[1]), np.float32)
    out[order] = np.concatenate(parts)
    return out


class Progress:
    """How far an encoding is, on stderr: a tqdm bar on a terminal, whole lines anywhere else.

    Why lines: computing a corpus's embeddings takes minutes on a CPU, and a cell's worker, a log file
    or a pipe is not a terminal, where a bar is one endless line of carriage returns (or, disabled,
    nothing at all).  ``style``: ``"bar"`` (or True), ``"lines"``, ``"off"`` (or False).  In ``lines``
    style it writes a line when it starts, at every further tenth of the work or after ``every_s``
    seconds without a line, whichever comes first, and one when it ends with the time taken and the
    rate; :attr:`seconds` keeps that time for whoever reports it.
    """

    def __init__(self, total: int, label: str, style: bool | str, *, every_s: float = 30.0,
                 stream: TextIO | None = None, clock: Callable[[], float] = time.perf_counter) -> None:
        self.style = {True: "bar", False: "off"}.get(style, style)  # type: ignore[call-overload]
        if self.style not in ("bar", "lines", "off"):
            raise ValueError(f"progress style {style!r} is not one of bar, lines, off (or True/False)")
        self.total, self.label, self.every_s, self.clock = total, label, every_s, clock
        self.stream = stream if stream is not None else sys.stderr
        self.done, self._tenths, self.seconds = 0, 0, 0.0
        self._bar: Any = None

    def __enter__(self) -> "Progress":
        self._start = self._last = self.clock()
        if self.style == "bar":
            from tqdm.auto import tqdm

            self._bar = tqdm(total=self.total, unit="sent", desc=self.label, file=self.stream)
        elif self.style == "lines":
            self._say(f"{self.total:,} sentences")
        return self

    def update(self, n: int) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
        if self.style != "lines" or self.done >= self.total:
            return
        now, tenths = self.clock(), (10 * self.done) // max(self.total, 1)
        if tenths > self._tenths or now - self._last >= self.every_s:
            self._tenths, self._last = tenths, now
            elapsed = now - self._start
            left = elapsed * (self.total - self.done) / self.done
            self._say(f"{self.done:,} of {self.total:,} sentences ({self.done / self.total:.0%}), "
                      f"{elapsed:.0f} s, about {left:.0f} s left")

    def __exit__(self, kind: Any, *_: Any) -> None:
        self.seconds = self.clock() - self._start
        if self._bar is not None:
            self._bar.close()
        if self.style == "lines" and kind is None:
            rate = self.done / self.seconds if self.seconds > 0 else float("inf")
            self._say(f"{self.done:,} sentences in {self.seconds:.1f} s ({rate:,.0f} sentences/s)")

    def _say(self, text: str) -> None:
        print(f"{self.label}: {text}", file=self.stream, flush=True)


def torch_threads(threads: int | None) -> int:
    """The torch threads an encoding runs with: ``threads``, else torch's current setting."""
    return threads or sys.modules["torch"].get_num_threads()


def encode_in_batches(encoder: Any, texts: list[str], batch_size: int, progress: bool | str,
                      label: str = "embedding") -> np.ndarray:
    """Embeddings of ``texts`` by any object with ``encode(list[str])`` and an ``identity``, one batch a call."""
    chunks = []
    with Progress(len(texts), label, progress) as shown:
        for start in range(0, len(texts), batch_size):
            batch = texts[start:start + batch_size]
            out = np.asarray(encoder.encode(batch), dtype=np.float32)
            if out.ndim != 2 or out.shape[0] != len(batch):
                raise ValueError(f"encoder {encoder.identity.get('name', encoder)!r} returned shape {out.shape} "
                                 f"for {len(batch)} sentences; expected [{len(batch)}, dim]")
            chunks.append(out)
            shown.update(len(batch))
    return np.concatenate(chunks) if chunks else np.zeros((0, 0), np.float32)
