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
from dataclasses import asdict, dataclass, field
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


@dataclass(frozen=True)
class ProfileSettings:
    """What ``bench profile`` measures: the cell ``bench run`` would run for the same method, corpus,
    preset, ``--set`` overrides, split and encoder, and how (steps, device, batch, implementation)."""

    method: str = "hsvae"
    corpus: str = "yahoo"
    preset: str = "paper"
    steps: int = 10
    device: str = "cpu"
    data_dir: Any = None
    #: None: the config's batch size
    batch_size: int | None = None
    #: the straightforward padded implementation (``--baseline``), for the speed-up
    straightforward: bool = False
    seed: int = 0
    overrides: tuple[tuple[str, str], ...] = ()
    train_split: str = "train"
    encoder: str = ""

    def cell(self):
        """The resolved cell: the same resolution as ``bench run``'s, so the same cell id."""
        from bench.cells.method import MethodCell
        from bench.config.spec import RunSpec

        return MethodCell.resolve(RunSpec(self.method, self.corpus, self.seed, self.preset, self.overrides,
                                          self.train_split, self.encoder))


def profile(settings: ProfileSettings) -> Profile:
    """Train ``steps`` optimiser steps and encode as many batches of the cell ``bench run`` would run: the
    config is resolved as a cell's, the data prepared by the cell's own :func:`bench.data.prepare.prepare_data`
    (subsample, ``max_vocab``, embeddings), the model built by :func:`bench.cells.models.build_model`,
    batches formed by the training loop's rule and the optimiser made by :func:`bench.cells.train.make_optimizer`.
    Only the training split is read; when it is absent the first split on disk stands in, else sentences
    shaped like the corpus."""
    from bench.cells.models import build_model
    from bench.cells.train import set_fp32_precision

    s = settings
    info = corpus_info(s.corpus)  # an unknown name fails before anything is built
    dev = torch.device(s.device)
    cell = s.cell()
    train_cfg = cell.config["train"]
    bsz = s.batch_size or train_cfg["batch_size"]
    precision = str(train_cfg["precision"])
    used_precision = effective_precision(dev, precision)
    set_fp32_precision(dev, precision)
    shape, padded, data = _data(cell, info, s.data_dir, max(bsz * (s.steps + 2), 2048), str(dev))
    torch.manual_seed(s.seed)
    model = build_model(s.method, cell.config["method_config"], shape, straightforward=s.straightforward).to(dev)
    warmup, timed = _train_batches(padded, bsz, s.steps, int(train_cfg["length_pool"]), s)
    real = sum(int(b.lengths.sum()) for b in timed)
    pad = 1.0 - real / sum(b.size * int(b.lengths.max()) for b in timed)
    train = _time_training(model, warmup, timed, train_cfg["lr"], precision, dev, s.straightforward)
    encode = _time_encoding(model, padded, train_cfg["eval_batch_size"], precision, dev, s)
    mc = cell.config["method_config"]
    peak = matmul_peak_gflops(dev, torch.bfloat16 if used_precision == "bf16" else torch.float32)
    if cell.backbone == "embedding":  # no padding there: the executed FLOPs are the model's
        step_flops = _counted_flops(lambda: train.step(timed[0])) * s.steps
        enc_flops = _counted_flops(lambda: model.encode(encode.batches[0][1].to(dev), model.default_mode))
        achieved = step_flops / train.seconds / 1e9
        enc_gflops = enc_flops * len(encode.batches) / encode.seconds / 1e9
    elif all(k in mc for k in ("embed_dim", "hidden_dim", "latent_dim")):
        sizes = Sizes(mc["embed_dim"], mc["hidden_dim"], mc["latent_dim"], shape.vocab_size)
        step_flops = train_step_flops(sizes, train.tokens)
        achieved = step_flops / train.seconds / 1e9
        enc_gflops = encode_flops(sizes, encode.tokens) / encode.seconds / 1e9
    else:  # a plugin without the shared backbone's sizes: its FLOPs are unknown, so no MFU
        step_flops = achieved = enc_gflops = float("nan")
    return Profile(
        method=s.method, corpus=s.corpus, data=data, preset=s.preset, device=device_name(str(dev)),
        implementation="straightforward padded" if s.straightforward else "sparsebench", backbone=cell.backbone,
        batch_size=bsz, steps=s.steps, train_tokens_per_s=train.tokens / train.seconds,
        train_sentences_per_s=train.sentences / train.seconds,
        encode_sentences_per_s=encode.sentences / encode.seconds, train_flops_per_step=step_flops / s.steps,
        achieved_gflops=achieved, encode_gflops=enc_gflops, peak_gflops=peak, mfu=achieved / peak,
        encode_mfu=enc_gflops / peak, peak_rss_mb=peak_memory_mb(dev), torch_threads=torch.get_num_threads(),
        length_pool=0 if s.straightforward else int(train_cfg["length_pool"]), precision=used_precision,
        padding_fraction=pad, vocab_size=shape.vocab_size, eos_id=shape.eos_id, cell_id=cell.cell_id)


def _train_batches(padded, bsz: int, steps: int, pool: int, s: ProfileSettings) -> tuple[Any, list]:
    """(a warm-up batch, the ``steps`` batches to time), formed as the training loop forms them (or, for a
    first port, without length buckets), full-size where possible."""
    rng = np.random.default_rng(s.seed)
    if s.straightforward:  # a first port shuffles without length buckets
        order = rng.permutation(len(padded))
        batches = [padded.batch(order[i : i + bsz]) for i in range(0, len(order) - bsz + 1, bsz)]
    else:
        batches = list(padded.train_batches(bsz, rng, pool))
    batches = [b for b in batches if b.size == bsz] or batches
    return batches[0], [batches[(i + 1) % len(batches)] for i in range(steps)]


@dataclass
class _Timed:
    seconds: float
    tokens: int
    sentences: int
    step: Any = None
    batches: list = field(default_factory=list)


def _time_training(model, warmup: Any, timed: list, lr: float, precision: str, dev: torch.device, straightforward: bool) -> _Timed:
    """Wall time of the optimiser steps over ``timed`` (after one warm-up step: allocator, kernels, autotuning)."""
    from bench.cells.train import autocast_for, make_optimizer

    opt = (torch.optim.Adam(model.parameters(), lr=lr) if straightforward  # a first port's
           else make_optimizer(model, lr, dev))
    model.train()

    def step(b):
        b = b.to(dev)
        with autocast_for(dev, precision):
            loss = model.loss(b)
        opt.zero_grad(set_to_none=True)
        loss.total.backward()
        opt.step()

    step(warmup)
    _sync(dev)
    t0, tokens, sentences = time.perf_counter(), 0, 0
    for b in timed:
        step(b)
        tokens += int(b.lengths.sum())
        sentences += b.size
    _sync(dev)
    return _Timed(time.perf_counter() - t0, tokens, sentences, step)


def _time_encoding(model, padded, ebs: int, precision: str, dev: torch.device, s: ProfileSettings) -> _Timed:
    """Wall time of encoding ``max(steps, 2)`` batches in the cell's eval batch size (both implementations)."""
    from bench.cells.train import autocast_for

    model.eval()
    tokens, sentences = 0, 0
    with torch.no_grad():
        if s.straightforward:  # a first port encodes in dataset order, padded to each batch's longest
            batches = [(None, padded.batch(np.arange(i, min(i + ebs, len(padded)))))
                       for i in range(0, len(padded), ebs)][: max(s.steps, 2)]
        else:
            batches = list(padded.eval_batches(ebs))[: max(s.steps, 2)]
        with autocast_for(dev, precision):
            model.encode(batches[0][1].to(dev), model.default_mode)
        _sync(dev)
        t0 = time.perf_counter()
        for _, b in batches:
            with autocast_for(dev, precision):
                model.encode(b.to(dev), model.default_mode)
            tokens += int(b.lengths.sum())
            sentences += b.size
        _sync(dev)
    return _Timed(time.perf_counter() - t0, tokens, sentences, batches=batches)


def _counted_flops(fn) -> float:
    """FLOPs of one call of ``fn``, counted by torch's own ``FlopCounterMode`` (matrix products)."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        fn()
    return float(counter.get_total_flops())


def _data(cell, info: CorpusInfo, data_dir, n: int, device: str):
    """(data shape, training split as the cell prepares it, what the data is): the spec's training split
    when it is on disk, else the corpus's first split on disk (train, valid, test), else sentences shaped
    like the corpus; prepared by the cell's own :func:`bench.data.prepare.prepare_data`."""
    import dataclasses

    from bench.data.prepare import DataOptions, load_data, prepare_data
    from tasks.corpora.assemble import SPLIT_ORDER
    from tasks.corpora.datadir import download_hint

    spec = cell.spec
    options = DataOptions({"data_dir": data_dir}, device, with_test=False)

    def on(split: str):  # the cell's data, read from another split when its own is absent
        data = load_data(dataclasses.replace(cell, spec=dataclasses.replace(spec, train_split=split)), options)
        return data.shape, data.train

    if info.present is None:  # generated (synthetic) or a plugin that is always complete
        c = info.loader(data_dir=data_dir)
        split = spec.train_split if spec.train_split in c.splits else next(
            (s for s in SPLIT_ORDER if s in c.splits), next(iter(c.splits)))
        return (*on(split), f"{info.name} corpus")
    on_disk = set(info.present(data_dir))
    for split in (spec.train_split, *SPLIT_ORDER):
        if split in on_disk:
            return (*on(split), f"real {info.name} {split} split")
    shape_of = info.shape
    if shape_of is None:
        raise UserError(f"no split of {info.name!r} found and its description declares no length shape to profile "
                        f"synthetic data on: {download_hint(info.name, 'all', data_dir)}")
    if cell.backbone == "embedding":
        raise UserError(f"the embedding backbone embeds real sentences: no split of {info.name!r} is on disk "
                        f"({download_hint(info.name, 'all', data_dir)}); profile it on a corpus that is, e.g. synthetic")
    shaped = shaped_split(shape_of, n, spec.seed)
    vocab = ["<pad>", *(f"w{i}" for i in range(1, shape_of.eos_id - 1)), "_UNK", "<EOS>"]
    corpus = _Shaped(shape_of.vocab_size, shape_of.eos_id, vocab, "", "shaped")
    data = prepare_data(cell, corpus, shaped, None, options)
    return data.shape, data.train, (f"synthetic, shaped like {info.name} ({shape_of.min_tokens}-{shape_of.max_tokens} tokens, "
                          f"mean {shape_of.mean_tokens}, vocabulary {shape_of.vocab_size})")


@dataclass(frozen=True)
class _Shaped:
    """What :func:`bench.data.prepare.prepare_data` reads of a corpus, for sentences shaped like one."""

    vocab_size: int
    eos_id: int
    vocab: list[str]
    checksum: str
    source: str
