"""The training loop every method shares: Adam, seeded batches, the method's own schedule, divergence detection.

A NaN or infinite loss term or gradient stops the cell with a ``DivergenceError`` naming the term
(or parameter) and the step; the driver records the cell as failed and the sweep goes on.  On CPU
the check runs every step (a host sync costs nothing there); on an accelerator it is batched every
``check_every`` steps so that steps stay free of host round trips.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

from bench.data.batches import PaddedSplit
from methods.base import LossOutput, SparseEncoder


class DivergenceError(RuntimeError):
    """The loss or a gradient became NaN or infinite: recorded as a failed cell, never as a result."""


@dataclass
class TrainLog:
    epoch_losses: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0
    steps: int = 0
    tokens: int = 0
    #: Points of the training curve (``on_epoch``'s results), each with its epoch and step.
    curve: list[dict] = field(default_factory=list)
    #: Wall seconds spent computing the curve's points (not counted in ``seconds``).
    curve_seconds: float = 0.0


def _finite_flag(loss: LossOutput, params: list[torch.nn.Parameter]) -> torch.Tensor:
    grads = [p.grad for p in params if p.grad is not None]
    flag = torch.isfinite(loss.total.detach())
    if grads:
        flag = flag & torch.isfinite(torch.stack(torch._foreach_norm(grads)).sum())
    return flag


def _diagnose(model: SparseEncoder, loss: LossOutput, epoch: int, step: int) -> DivergenceError:
    bad_terms = [f"{k}={float(v.detach()):g}" for k, v in {"total": loss.total, **loss.terms}.items()
                 if not math.isfinite(float(v.detach()))]
    if bad_terms:
        return DivergenceError(f"loss diverged at epoch {epoch}, step {step}: non-finite {', '.join(bad_terms)}")
    bad = [n for n, p in model.named_parameters() if p.grad is not None and not torch.isfinite(p.grad).all()]
    terms = ", ".join(f"{k}={float(v.detach()):.4g}" for k, v in loss.terms.items())
    return DivergenceError(f"gradient diverged at epoch {epoch}, step {step}: non-finite gradient of "
                           f"{', '.join(bad[:5]) or 'some parameter'} (loss terms finite: {terms})")


def autocast_for(device: torch.device, precision: str = "auto"):
    """bf16 autocast on a CUDA device that supports it (cuDNN GRUs, bf16 matmuls), else a no-op."""
    import contextlib

    if device.type == "cuda" and precision in ("auto", "bf16") and torch.cuda.is_bf16_supported():
        return torch.autocast("cuda", dtype=torch.bfloat16)
    if precision == "bf16" and device.type != "cuda":
        raise ValueError(f"precision=bf16 needs a CUDA device, not {device}")
    return contextlib.nullcontext()


def set_fp32_precision(device: torch.device, precision: str) -> None:
    """Under ``precision=fp32`` (the papers'), no TensorFloat-32 on CUDA: cuDNN allows it by default for
    its GRUs, which would silently train in 10-bit mantissas.  Process-wide flags: a GPU cell runs in a
    process of its own."""
    if device.type == "cuda" and precision == "fp32":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False


def annealed(loss: LossOutput, weight: float) -> LossOutput:
    """KL annealing for any method: ``recon + weight · (total − recon)``, since ``terms["recon"]`` is
    every method's reconstruction term and the rest of its objective is its regulariser.  A method
    without a regulariser (``ae``) is unchanged.  The weight of step s (counted from 0) is
    s / (f · steps), capped at 1."""
    if weight >= 1.0:
        return loss
    recon = loss.terms["recon"]
    return LossOutput(recon + weight * (loss.total - recon), loss.terms, loss.kl_per_dim)


def make_optimizer(model: SparseEncoder, lr: float, device: torch.device) -> torch.optim.Adam:
    """Adam over the trainable parameters, fused into one kernel where torch has it (CPU and CUDA).

    Why fused: the unfused update walks the ~2.6M parameters of a reference-preset model in a dozen
    separate passes; it took 15% of a training step at batch 32 on CPU, the fused kernel a fifth of
    that.  Same algorithm and defaults (betas, eps); float rounding may differ in the last bits.
    """
    params = [p for p in model.parameters() if p.requires_grad]
    fused = device.type in ("cpu", "cuda") and all(p.is_floating_point() for p in params)
    return torch.optim.Adam(params, lr=lr, fused=fused or None)


def train(model: SparseEncoder, data: PaddedSplit, *, epochs: int, batch_size: int, lr: float,
          rng: np.random.Generator, device: torch.device, log: Callable[[str], None] = lambda s: None,
          check_every: int | None = None, precision: str = "fp32", length_pool: int = 0,
          on_step: Callable[[int, int], None] | None = None,
          on_epoch: Callable[[int], dict | None] | None = None, kl_warmup: float = 0.0) -> TrainLog:
    """Train ``model`` in place; ``on_step(step, total_steps)`` is called after every optimiser step and
    ``on_epoch(epoch)`` after every epoch (a dict it returns becomes a point of the training curve;
    its time is not counted as training time).  ``kl_warmup`` > 0: :func:`annealed` over that fraction
    of the steps."""
    model.to(device).train()
    set_fp32_precision(device, precision)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = make_optimizer(model, lr, device)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, model.lr_scale)  # the method's schedule (TON's drop); 1 otherwise
    check_every = check_every or (1 if device.type == "cpu" else 25)
    total_steps = epochs * data.batches_per_epoch(batch_size, length_pool)
    model.plan_training(total_steps)
    out = TrainLog()
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        sums: dict[str, torch.Tensor] = {}
        sentences = 0
        ok = torch.ones((), dtype=torch.bool, device=device)
        for batch in data.train_batches(batch_size, rng, length_pool):
            batch = batch.to(device)
            with autocast_for(device, precision):
                loss = model.loss(batch)
            if kl_warmup > 0:
                loss = annealed(loss, min(1.0, out.steps / (kl_warmup * total_steps)))
            opt.zero_grad(set_to_none=True)
            loss.total.backward()
            ok = ok & _finite_flag(loss, params)
            out.steps += 1
            if out.steps % check_every == 0 and not bool(ok):
                raise _diagnose(model, loss, epoch, out.steps)
            opt.step()
            sched.step()
            if on_step is not None:
                on_step(out.steps, total_steps)
            n = batch.size
            sentences += n
            out.tokens += int(batch.lengths.sum())
            for name, value in {"total": loss.total, **loss.terms}.items():
                sums[name] = sums.get(name, 0.0) + value.detach() * n
        means = {k: float(v) / max(sentences, 1) for k, v in sums.items()}  # one host sync per epoch
        if not bool(ok) or not all(math.isfinite(v) for v in means.values()):
            bad = ", ".join(f"{k}={v:g}" for k, v in means.items() if not math.isfinite(v)) or "a gradient"
            raise DivergenceError(f"loss diverged in epoch {epoch} (steps up to {out.steps}): non-finite {bad}")
        out.epoch_losses.append(means)
        log(f"epoch {epoch}/{epochs} " + " ".join(f"{k}={v:.4f}" for k, v in means.items()))
        if on_epoch is not None:
            paused = time.perf_counter()
            point = on_epoch(epoch)
            if point is not None:
                out.curve.append({"epoch": epoch, "step": out.steps, **point})
            out.curve_seconds += time.perf_counter() - paused
            start += time.perf_counter() - paused  # scoring on the way is not training time
            model.train()
    out.seconds = time.perf_counter() - start
    return out
