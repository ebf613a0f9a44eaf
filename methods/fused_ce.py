"""Output projection and token cross-entropy in row chunks, without a full ``[tokens, vocab]`` logits tensor.

On Yelp-length batches (256 reviews × 96 tokens, 20K words) the logits alone are 2 GB; computing
them, a log-softmax copy and its gradient as whole tensors makes a CPU step memory-bound and spends
minutes in the kernel zeroing fresh pages.  Here each chunk of rows is projected, reduced to its
log-sum-exp and turned in place into the softmax-minus-one-hot gradient basis; backward is two
large matmuls and a matrix-vector product, the upstream gradient applied to the thin operands.  Same function and gradients as
``F.cross_entropy(F.linear(h, W, b), t, reduction="none")`` up to float rounding (tested), and one
``[tokens, vocab]`` buffer instead of three.  Without gradients only log-sum-exps are kept.
"""
from __future__ import annotations

import torch
from torch import Tensor

#: Rows per chunk: large enough for efficient matmuls, small enough to stay cache- and allocator-friendly.
CHUNK_ROWS = 1024


class _LinearCrossEntropy(torch.autograd.Function):
    @staticmethod
    def forward(ctx, h: Tensor, weight: Tensor, bias: Tensor, targets: Tensor) -> Tensor:  # type: ignore[override]
        n, vocab = h.shape[0], weight.shape[0]
        basis = torch.empty(n, vocab, dtype=h.dtype, device=h.device)
        ce = torch.empty(n, dtype=h.dtype, device=h.device)
        for start in range(0, n, CHUNK_ROWS):
            rows = slice(start, start + CHUNK_ROWS)
            logits = basis[rows]
            torch.mm(h[rows], weight.t(), out=logits).add_(bias)  # (addmm with out= copies via a temporary)
            t = targets[rows].unsqueeze(1)
            target_logit = logits.gather(1, t).squeeze(1)
            peak = logits.amax(dim=1, keepdim=True)
            total = logits.sub_(peak).exp_().sum(dim=1)  # the buffer now holds exp(logit - max)
            ce[rows] = torch.log(total) + peak.squeeze(1) - target_logit
            logits.mul_(total.reciprocal().unsqueeze(1))  # softmax
            logits.scatter_add_(1, t, torch.full_like(t, -1, dtype=logits.dtype))  # minus one-hot
        ctx.save_for_backward(h, weight, basis)
        return ce

    @staticmethod
    def backward(ctx, grad_ce: Tensor):  # type: ignore[override]
        # d ce_i / d logits_i = basis_i, so with upstream g: grad_logits = diag(g) · basis.  The
        # diagonal is applied to the thin [rows, hidden] side of each product, never to the basis.
        h, weight, basis = ctx.saved_tensors
        need_h, need_w, need_b = ctx.needs_input_grad[:3]
        grad_h = (basis @ weight).mul_(grad_ce.unsqueeze(1)) if need_h else None
        grad_w = basis.t() @ (h * grad_ce.unsqueeze(1)) if need_w else None
        grad_b = basis.t() @ grad_ce if need_b else None
        return grad_h, grad_w, grad_b, None


def _no_grad_ce(h: Tensor, weight: Tensor, bias: Tensor, targets: Tensor) -> Tensor:
    out = torch.empty(h.shape[0], dtype=h.dtype, device=h.device)
    for start in range(0, h.shape[0], CHUNK_ROWS):
        rows = slice(start, start + CHUNK_ROWS)
        logits = torch.addmm(bias, h[rows], weight.t())
        out[rows] = torch.logsumexp(logits, 1) - logits.gather(1, targets[rows].unsqueeze(1)).squeeze(1)
    return out


def linear_cross_entropy(h: Tensor, weight: Tensor, bias: Tensor, targets: Tensor) -> Tensor:
    """Per-row cross-entropy of ``targets`` under logits ``h @ weight.T + bias``, shape ``[rows]``.

    The chunked path serves CPU float32/float64; on accelerators (and under autocast) the plain
    fused kernels of the backend are used, which are already fast there.
    """
    if h.device.type != "cpu" or torch.is_autocast_enabled() or h.dtype not in (torch.float32, torch.float64):
        return torch.nn.functional.cross_entropy(torch.nn.functional.linear(h, weight, bias), targets,
                                                 reduction="none")
    if not (torch.is_grad_enabled() and (h.requires_grad or weight.requires_grad or bias.requires_grad)):
        return _no_grad_ce(h, weight, bias, targets)
    return _LinearCrossEntropy.apply(h, weight, bias, targets)
