"""An embedding-track sparse autoencoder as a sentence-transformers ``SparseEncoder`` folder.

The folder holds the frozen base model's modules (Transformer, Pooling, Normalize, ... as the cell's
encoder has them) followed by a ``SparseAutoEncoder`` holding the trained weights, so
``SparseEncoder(DIR).encode(sentences)`` gives the cell's codes wherever sentence-transformers runs.

Both ``topk`` (with its linear encoder, ``embed_layers = 0``) and ``csr`` compute
``z = ReLU(TopK_k(W (x̃ − b_pre) + b_lat))`` on the harness's input ``x̃ = s (x − m)``: the frozen
embedding ``x`` centred on the training mean ``m`` and scaled by the training scalar ``s``.  The
library's module reads ``x`` itself, so the preprocessing is folded into its weights:

    W (s (x − m) − b_pre) + b_lat = (s W) (x − (m + b_pre / s)) + b_lat,

i.e. ``W' = s W``, ``b_pre' = m + b_pre / s``, ``b_lat' = b_lat``, exact up to float rounding.

What is refused, and why:

- ``batchtopk``: at inference it keeps every activation above a learnt threshold θ
  (``ReLU(pre) · 1[pre > θ]``, a JumpReLU), a variable number per sentence; ``SparseAutoEncoder``
  keeps exactly the top k.  No choice of its weights or k computes the same codes, so it is not
  exported under a format that would silently give others; :func:`bench.use.load` encodes it.
- ``topk`` with ``embed_layers > 0`` (MLP encoder), every other method, and the text backbone:
  ``SparseAutoEncoder`` is one linear map and a top-k over a sentence embedding.
- The module's decoder is tied (``W'ᵀ``) and so is not the trained decoder: the export encodes;
  reconstructing an embedding from its codes is for :func:`bench.use.load`'s model.
"""
from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch

from bench.errors import UserError

FORMATS = ("sentence-transformers",)
#: Sentences the export encodes both ways to check the folder before it is kept.
CHECK_SENTENCES = ("a sparse code for every sentence", "the quick brown fox jumps over the lazy dog",
                   "what is the capital of france ?", "stocks fell sharply after the announcement", "hello")


def sae_parameters(encoder: Any) -> dict[str, Any]:
    """(W, b_pre, b_lat, k, settings) of the cell's autoencoder in the harness's input space, or a refusal."""
    spec, model = encoder.spec, encoder.model
    where = f"cell {encoder.cell_id} ({spec.method})"
    if spec.backbone != "embedding":
        raise UserError(f"{where} runs on the text backbone: a sentence-transformers SparseEncoder sparsifies a "
                        "sentence embedding; encode it with `bench encode` or bench.use.load")
    if spec.method == "csr":
        sae = model.backbone.sae
        if sae.normalize:
            raise UserError(f"{where}: a SparseAutoEncoder with normalize=True cannot take the folded centring")
        return {"W": sae.encoder.weight, "b_pre": sae.pre_bias, "b_lat": sae.latent_bias, "k": int(model.config.k),
                "k_aux": int(sae.k_aux), "dead_threshold": int(sae.dead_threshold)}
    if spec.method == "topk":
        if not getattr(model, "linear_sae", False):
            raise UserError(f"{where} has an MLP encoder (embed_layers = {model.config.embed_layers}); "
                            "SparseAutoEncoder is one linear map: only embed_layers = 0 exports")
        return {"W": model.head.weight, "b_pre": model.backbone.pre_bias, "b_lat": model.head.bias,
                "k": int(model.config.k), "k_aux": int(min(model.config.k_aux, model.latent_dim)),
                "dead_threshold": int(model.config.dead_steps)}
    if spec.method == "batchtopk":
        raise UserError(f"{where}: BatchTopK keeps the activations above its learnt threshold "
                        f"(θ = {float(model.threshold):.4g}), a number that varies per sentence, while "
                        "sentence-transformers' SparseAutoEncoder keeps exactly k; no export computes the same codes. "
                        "Encode it with `bench encode` or bench.use.load (docs/using-a-trained-cell.md)")
    raise UserError(f"{where}: only the embedding track's topk and csr export to sentence-transformers; "
                    "encode other cells with `bench encode` or bench.use.load")


def folded(params: dict[str, Any], mean: np.ndarray, scale: float) -> dict[str, torch.Tensor]:
    """The parameters on the raw embedding: W' = s W, b_pre' = m + b_pre / s (module docstring)."""
    w = params["W"].detach().double().cpu()
    return {"encoder.weight": (scale * w).float(),
            "pre_bias": (torch.from_numpy(np.asarray(mean, dtype=np.float64)) + params["b_pre"].detach().double().cpu()
                         / scale).float(),
            "latent_bias": params["b_lat"].detach().float().cpu()}


def export_sentence_transformers(encoder: Any, out_dir: str | Path, *, check: bool = True) -> dict[str, Any]:
    """Write the ``SparseEncoder`` folder of ``encoder`` (a :class:`~bench.use.encoder.CellEncoder`) to ``out_dir``.

    The folder is built beside ``out_dir`` and moved into place only after ``SparseEncoder(folder)``
    has encoded :data:`CHECK_SENTENCES` to the same codes as ``encoder`` (same support, values within
    1e-4 relative); returns what was checked.
    """
    from sentence_transformers import SentenceTransformer, SparseEncoder
    from sentence_transformers.sparse_encoder.modules import SparseAutoEncoder

    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UserError(f"{out} exists and is not an empty folder; choose a new folder for the export")
    params = sae_parameters(encoder)
    state, ref = encoder.state, encoder.frozen_encoder
    weights = folded(params, np.asarray(state["mean"]), float(state["scale"]))
    sae = SparseAutoEncoder(input_dim=int(state["input_dim"]), hidden_dim=int(encoder.latent_dim), k=params["k"],
                            k_aux=params["k_aux"], normalize=False, dead_threshold=params["dead_threshold"])
    with torch.no_grad():
        sae.encoder.weight.copy_(weights["encoder.weight"])
        sae.pre_bias.copy_(weights["pre_bias"])
        sae.latent_bias.copy_(weights["latent_bias"])
    with _quiet():
        base = SentenceTransformer(str(ref.path), device="cpu", local_files_only=True)
        model = SparseEncoder(modules=[*base, sae], device="cpu")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        with _quiet():
            model.save(str(staging))
        about = {"exported_by": "sparsebench bench export", "cell_id": encoder.cell_id, "train_id": encoder.spec.train_id,
                 "spec": encoder.cell.record["spec"], "method_config": encoder.cell.record["config"]["method_config"],
                 "encoder": state["encoder"], "folded": {"scale": float(state["scale"]),
                                                         "mean_norm": float(np.linalg.norm(state["mean"]))},
                 "note": "W' = s·W and b_pre' = m + b_pre/s fold the harness's centring and scaling into the weights; "
                         "the module's tied decoder is not the trained decoder (encode only)"}
        (staging / "sparsebench.json").write_text(json.dumps(about, indent=2, sort_keys=True), encoding="utf-8")
        checked = check_export(encoder, staging) if check else {}
        if out.exists():
            out.rmdir()
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return checked


def check_export(encoder: Any, folder: Path) -> dict[str, Any]:
    """Encode :data:`CHECK_SENTENCES` with the exported folder and with ``encoder``: refuse any difference."""
    from sentence_transformers import SparseEncoder

    with _quiet():
        loaded = SparseEncoder(str(folder), device="cpu", local_files_only=True)
    theirs = loaded.encode(
        list(CHECK_SENTENCES), convert_to_tensor=True, convert_to_sparse_tensor=False).float().cpu().numpy()
    ours = encoder.encode(list(CHECK_SENTENCES))
    same_support = bool(np.array_equal(theirs != 0, ours != 0))
    err = float(np.max(np.abs(theirs - ours))) if ours.size else 0.0
    scale = float(np.max(np.abs(ours))) if ours.size else 1.0
    if not same_support or err > 1e-4 * max(scale, 1.0):
        raise UserError(f"the exported SparseEncoder gives other codes than cell {encoder.cell_id} on the check "
                        f"sentences (same active latents: {same_support}; max difference {err:.3g}); nothing was kept")
    return {"sentences": len(CHECK_SENTENCES), "max_abs_difference": err, "same_active_latents": same_support}


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """No "Loading weights" bars from transformers while the folders are built and read back."""
    from transformers.utils import logging as hf_logging

    was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_on:
            hf_logging.enable_progress_bar()
