"""``bench profile``: throughput, FLOPs, MFU and memory of one method's training and encoding.

Measured on the real corpus when its files are present, else on synthetic sentences shaped like it
(its length range and mean, its vocabulary size), so the numbers mean something on any machine.
MFU = achieved model GFLOP/s ÷ the device's matmul peak measured in the same process, in the dtype
the steps actually ran in (bf16 only when the config's ``precision`` turns autocast on).  Batches are
formed as the training loop forms them, by the config's ``length_pool`` (0: random membership, the
paper protocol; N: length-sorted pools), so the speed cost of random membership is measurable with
``--set length_pool=0`` against ``--set length_pool=50``.
"""
from __future__ import annotations

import resource
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from bench.errors import UserError
from bench.perf.flops import Sizes, encode_flops, train_step_flops
from bench.store.provenance import device_name
from tasks.corpora import CorpusInfo, corpus_info
from tasks.corpora.base import Split
from tasks.corpora.info import LengthShape


def shaped_split(shape: LengthShape, n: int, seed: int = 0) -> Split:
    """``n`` random sentences with a corpus's length range and mean (its declared :class:`LengthShape`).

    Token ids are drawn from the corpus's vocabulary laid out as its loader lays it out (``<pad>`` = 0,
    the words, then ``<EOS>`` = ``shape.eos_id``), so the model sees the same ``<EOS>`` id as on the
    real files.
    """
    lo, mean, hi, eos = shape.min_tokens, shape.mean_tokens, shape.max_tokens, shape.eos_id
    rng = np.random.default_rng(seed)
    m = (mean - lo) / (hi - lo)
    lengths = np.rint(lo + (hi - lo) * rng.beta(4 * m, 4 * (1 - m), n)).astype(np.int64)
    ids = rng.integers(1, eos, int(lengths.sum()) + n).astype(np.int32)
    seqs, pos = [], 0
    for length in lengths:
        seqs.append(np.append(ids[pos : pos + length], eos))
        pos += length
    return Split.from_sequences(seqs, np.zeros(n, dtype=np.int64))


def matmul_peak_gflops(device: torch.device, dtype: torch.dtype = torch.float32, n: int = 2048, reps: int = 5) -> float:
    """Best-of-``reps`` GFLOP/s of an n×n matmul: the roof that MFU is measured against."""
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    best = float("inf")
    for _ in range(reps + 1):
        _sync(device)
        t = time.perf_counter()
        a @ b
        _sync(device)
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e9


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def peak_memory_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


@dataclass
class Profile:
    method: str
    corpus: str
    data: str
    preset: str
    device: str
    implementation: str
    backbone: str  # "text" or "embedding", as the resolved cell config says
    batch_size: int
    steps: int
    train_tokens_per_s: float
    train_sentences_per_s: float
    encode_sentences_per_s: float
    train_flops_per_step: float
    achieved_gflops: float
    encode_gflops: float
    peak_gflops: float
    mfu: float
    encode_mfu: float
    peak_rss_mb: float
    torch_threads: int
    length_pool: int  # how training batches were formed (the config's; 0 = random membership)
    precision: str  # the precision the train steps ran in ("fp32" or "bf16"), after resolving "auto"
    padding_fraction: float  # share of the timed training batches a padded computation would spend on padding
    vocab_size: int  # the model's vocabulary, as built (DataShape): max_vocab applied as the cell applies it
    eos_id: int  # the <EOS> id the model is built with: the corpus's own, on real or shaped data
    cell_id: str  # the id `bench run` gives the cell this profile measures (same spec, same resolution)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def effective_precision(device: torch.device, precision: str) -> str:
    """What ``bench.cells.train.autocast_for`` runs in: "bf16" only on a CUDA device that supports it."""
    if device.type == "cuda" and precision in ("auto", "bf16") and torch.cuda.is_bf16_supported():
        return "bf16"
    if precision == "bf16":
        raise UserError(f"precision=bf16 needs a CUDA device, not {device}; use --set precision=fp32")
    return "fp32"


def profile(method: str, corpus: str, preset: str, steps: int, *, device: str = "cpu", data_dir=None,
            batch_size: int | None = None, straightforward: bool = False, seed: int = 0,
            overrides: tuple[tuple[str, str], ...] = (), train_split: str = "train", encoder: str = "") -> Profile:
    """Train ``steps`` optimiser steps and encode as many batches of the cell ``bench run`` would run for
    the same method, corpus, preset, ``--set`` overrides, split and encoder: the config is resolved by the
    same :class:`RunSpec`, the data prepared by the cell's own :func:`bench.cells.method.prepare_data` (subsample,
    ``max_vocab``, embeddings), the model built by :func:`bench.cells.models.build_model`, batches formed by
    the training loop's rule and the optimiser made by :func:`bench.cells.train.make_optimizer`.  Only the
    training split is read; when it is absent the first split on disk stands in, else sentences shaped
    like the corpus."""
    from bench.cells.models import build_model
    from bench.config.spec import RunSpec
    from bench.cells.train import autocast_for, make_optimizer, set_fp32_precision
    from methods.registry import get_method

    info = corpus_info(corpus)  # an unknown name fails before anything is built
    dev = torch.device(device)
    spec = RunSpec(method, corpus, seed, preset, overrides, train_split, encoder)
    cfg = spec.config
    bsz = batch_size or cfg["train"]["batch_size"]
    pool, precision = int(cfg["train"]["length_pool"]), str(cfg["train"]["precision"])
    used_precision = effective_precision(dev, precision)
    set_fp32_precision(dev, precision)
    shape, padded, data = _data(spec, info, data_dir, max(bsz * (steps + 2), 2048), str(dev))
    cls = get_method(method).load()
    torch.manual_seed(seed)
    model = build_model(method, cfg["method_config"], shape, straightforward=straightforward).to(dev)
    rng = np.random.default_rng(seed)
    if straightforward:  # a first port shuffles without length buckets
        order = rng.permutation(len(padded))
        batches = [padded.batch(order[i : i + bsz]) for i in range(0, len(order) - bsz + 1, bsz)]
    else:
        batches = list(padded.train_batches(bsz, rng, pool))
    batches = [b for b in batches if b.size == bsz] or batches
    timed = [batches[(i + 1) % len(batches)] for i in range(steps)]
    real = sum(int(b.lengths.sum()) for b in timed)
    pad = 1.0 - real / sum(b.size * int(b.lengths.max()) for b in timed)
    opt = (torch.optim.Adam(model.parameters(), lr=cfg["train"]["lr"]) if straightforward  # a first port's
           else make_optimizer(model, cfg["train"]["lr"], dev))
    model.train()

    def step(b):
        b = b.to(dev)
        with autocast_for(dev, precision):
            loss = model.loss(b)
        opt.zero_grad(set_to_none=True)
        loss.total.backward()
        opt.step()

    step(batches[0])  # warm-up: allocator, kernels, autotuning
    _sync(dev)
    t0, tokens, sentences = time.perf_counter(), 0, 0
    for b in timed:
        step(b)
        tokens += int(b.lengths.sum())
        sentences += b.size
    _sync(dev)
    train_s = time.perf_counter() - t0

    model.eval()
    enc_tokens, enc_sent = 0, 0
    with torch.no_grad():
        ebs = cfg["train"]["eval_batch_size"]  # the cell's encoding batches, for both implementations
        if straightforward:  # a first port encodes in dataset order, padded to each batch's longest
            eval_batches = [(None, padded.batch(np.arange(i, min(i + ebs, len(padded)))))
                            for i in range(0, len(padded), ebs)][: max(steps, 2)]
        else:
            eval_batches = list(padded.eval_batches(ebs))[: max(steps, 2)]
        with autocast_for(dev, precision):
            model.encode(eval_batches[0][1].to(dev), cls.default_mode)
        _sync(dev)
        t0 = time.perf_counter()
        for _, b in eval_batches:
            with autocast_for(dev, precision):
                model.encode(b.to(dev), cls.default_mode)
            enc_tokens += int(b.lengths.sum())
            enc_sent += b.size
        _sync(dev)
        enc_s = time.perf_counter() - t0

    mc = cfg["method_config"]
    peak = matmul_peak_gflops(dev, torch.bfloat16 if used_precision == "bf16" else torch.float32)
    if spec.backbone == "embedding":  # no padding there: the executed FLOPs are the model's
        step_flops = _counted_flops(lambda: step(timed[0])) * steps
        enc_flops = _counted_flops(lambda: model.encode(eval_batches[0][1].to(dev), cls.default_mode))
        achieved = step_flops / train_s / 1e9
        enc_gflops = enc_flops * len(eval_batches) / enc_s / 1e9
    elif all(k in mc for k in ("embed_dim", "hidden_dim", "latent_dim")):
        sizes = Sizes(mc["embed_dim"], mc["hidden_dim"], mc["latent_dim"], shape.vocab_size)
        step_flops = train_step_flops(sizes, tokens)
        achieved = step_flops / train_s / 1e9
        enc_gflops = encode_flops(sizes, enc_tokens) / enc_s / 1e9
    else:  # a plugin without the shared backbone's sizes: its FLOPs are unknown, so no MFU
        step_flops = achieved = enc_gflops = float("nan")
    return Profile(
        method=method, corpus=corpus, data=data, preset=preset, device=device_name(str(dev)),
        implementation="straightforward padded" if straightforward else "sparsebench", backbone=spec.backbone,
        batch_size=bsz, steps=steps, train_tokens_per_s=tokens / train_s, train_sentences_per_s=sentences / train_s,
        encode_sentences_per_s=enc_sent / enc_s, train_flops_per_step=step_flops / steps,
        achieved_gflops=achieved, encode_gflops=enc_gflops, peak_gflops=peak, mfu=achieved / peak,
        encode_mfu=enc_gflops / peak, peak_rss_mb=peak_memory_mb(dev), torch_threads=torch.get_num_threads(),
        length_pool=0 if straightforward else pool, precision=used_precision, padding_fraction=pad,
        vocab_size=shape.vocab_size, eos_id=shape.eos_id, cell_id=spec.cell_id)


def _counted_flops(fn) -> float:
    """FLOPs of one call of ``fn``, counted by torch's own ``FlopCounterMode`` (matrix products)."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        fn()
    return float(counter.get_total_flops())


def _data(spec, info: CorpusInfo, data_dir, n: int, device: str):
    """(data shape, training split as the cell prepares it, what the data is): the spec's training split
    when it is on disk, else the corpus's first split on disk (train, valid, test), else sentences shaped
    like the corpus; prepared by the cell's own :func:`bench.cells.method.prepare_data`."""
    import dataclasses

    from bench.data.prepare import load_data, prepare_data
    from tasks.corpora.assemble import SPLIT_ORDER
    from tasks.corpora.datadir import download_hint

    options = {"data_dir": data_dir}
    if info.present is None:  # generated (synthetic) or a plugin that is always complete
        c = info.loader(data_dir=data_dir)
        split = spec.train_split if spec.train_split in c.splits else next(
            (s for s in SPLIT_ORDER if s in c.splits), next(iter(c.splits)))
        shape, train, _, _ = load_data(dataclasses.replace(spec, train_split=split), options, _quiet, device,
                                       with_test=False)
        return shape, train, f"{info.name} corpus"
    on_disk = set(info.present(data_dir))
    for split in (spec.train_split, *SPLIT_ORDER):
        if split in on_disk:
            shape, train, _, _ = load_data(dataclasses.replace(spec, train_split=split), options, _quiet, device,
                                           with_test=False)
            return shape, train, f"real {info.name} {split} split"
    shape_of = info.shape
    if shape_of is None:
        raise UserError(f"no split of {info.name!r} found and its description declares no length shape to profile "
                        f"synthetic data on: {download_hint(info.name, 'all', data_dir)}")
    if spec.backbone == "embedding":
        raise UserError(f"the embedding backbone embeds real sentences: no split of {info.name!r} is on disk "
                        f"({download_hint(info.name, 'all', data_dir)}); profile it on a corpus that is, e.g. synthetic")
    shaped = shaped_split(shape_of, n, spec.seed)
    vocab = ["<pad>", *(f"w{i}" for i in range(1, shape_of.eos_id - 1)), "_UNK", "<EOS>"]
    corpus = _Shaped(shape_of.vocab_size, shape_of.eos_id, vocab, "", "shaped")
    shape, train, _, _ = prepare_data(spec, corpus, shaped, None, options, _quiet)
    return shape, train, (f"synthetic, shaped like {info.name} ({shape_of.min_tokens}-{shape_of.max_tokens} tokens, "
                          f"mean {shape_of.mean_tokens}, vocabulary {shape_of.vocab_size})")


@dataclass(frozen=True)
class _Shaped:
    """What :func:`bench.cells.method.prepare_data` reads of a corpus, for sentences shaped like one."""

    vocab_size: int
    eos_id: int
    vocab: list[str]
    checksum: str
    source: str


def _quiet(_: str) -> None:
    pass
