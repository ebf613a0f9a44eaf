"""A GRU layer over packed variable-length batches that does no work on padding, with a hand-written backward.

Why: PyTorch's CPU GRU runs every row of a padded batch for the longest row's number of steps, and
random batch membership (the protocol: MAT-VAE's MMD and TON's statistics are batch statistics)
leaves about half of a batch as padding.  Its packed-sequence path skips the padding but its CPU
backward replays autograd through a dozen tiny ops per step and was several times slower.  Here the
rows are the packed layout of ``torch.nn.utils.rnn.pack_padded_sequence`` (time-major, rows sorted
longest first, so the rows alive at step t are the first ``batch_sizes[t]``): step t touches only
those rows, and the backward is written out once, by hand, so that everything that is not
sequential becomes one large matrix product over all real tokens (the input projections and the
recurrent weight gradient), which is what a CPU runs near its peak.

The function is ``torch.nn.GRU``'s (cuDNN's gate formulation: the reset gate multiplies the
recurrent projection after its bias), and the tests compare outputs and gradients with it.
"""
from __future__ import annotations

import torch
from torch import Tensor


def _starts(batch_sizes: list[int]) -> list[int]:
    out, acc = [], 0
    for n in batch_sizes:
        out.append(acc)
        acc += n
    return out


def _last_index(batch_sizes: list[int], starts: list[int], device: torch.device) -> Tensor:
    """Packed position of each row's last state: row b is alive for the steps t with batch_sizes[t] > b."""
    sizes = torch.tensor(batch_sizes, dtype=torch.long)
    rows = torch.arange(batch_sizes[0], dtype=torch.long)
    lengths = (sizes.unsqueeze(0) > rows.unsqueeze(1)).sum(1)
    return (torch.tensor(starts, dtype=torch.long)[lengths - 1] + rows).to(device)


def _recurrence(xw: Tensor, w_hh: Tensor, b_hh: Tensor, batch_sizes: list[int], h0: Tensor,
                saved: tuple[Tensor, Tensor, Tensor] | None) -> Tensor:
    """Every step's state, packed ``[N, H]``.

    ``saved`` = (r|z ``[N, 2H]``, candidate n ``[N, H]``, recurrent projection ``[N, 3H]``) buffers to
    fill for the backward, or None.  Six tensor operations a step: the step is short (a few dozen rows
    at batch 32), so the number of operations, not their size, is what costs.
    """
    hidden = w_hh.shape[1]
    states = torch.empty(xw.shape[0], hidden, dtype=xw.dtype, device=xw.device)
    w_t = w_hh.t()
    prev_block = h0
    offset = 0
    for n in batch_sizes:
        rows = slice(offset, offset + n)
        prev = prev_block[:n]
        x_t = xw[rows]
        if saved is None:
            hw = torch.addmm(b_hh, prev, w_t)
            rz = torch.add(x_t[:, : 2 * hidden], hw[:, : 2 * hidden]).sigmoid_()
            cand = torch.addcmul(x_t[:, 2 * hidden:], rz[:, :hidden], hw[:, 2 * hidden:]).tanh_()
        else:
            rz_all, cand_all, hw_all = saved
            hw = torch.addmm(b_hh, prev, w_t, out=hw_all[rows])
            rz = torch.add(x_t[:, : 2 * hidden], hw[:, : 2 * hidden], out=rz_all[rows]).sigmoid_()
            cand = torch.addcmul(x_t[:, 2 * hidden:], rz[:, :hidden], hw[:, 2 * hidden:], out=cand_all[rows]).tanh_()
        new = states[rows]
        torch.lerp(cand, prev, rz[:, hidden:], out=new)  # (1 − z)·n + z·h
        prev_block = new
        offset += n
    return states


def _previous_states(states: Tensor, h0: Tensor, batch_sizes: list[int], starts: list[int]) -> Tensor:
    """Each packed token's previous state (``h0`` for the first step), gathered in one indexing call."""
    index = [torch.arange(starts[t - 1], starts[t - 1] + n) for t, n in enumerate(batch_sizes) if t > 0]
    later = states[torch.cat(index).to(states.device)] if index else states[:0]
    return torch.cat([h0[: batch_sizes[0]], later])


class _GRURecurrence(torch.autograd.Function):
    """The sequential part of a GRU, given the input projections of every packed token.

    Inputs: ``xw`` ``[N, 3H]`` (``x W_ih^T + b_ih`` of every real token, packed), ``w_hh`` ``[3H, H]``,
    ``b_hh`` ``[3H]``, ``batch_sizes`` (host ints, non-increasing), ``h0`` ``[B, H]``.
    Output: every step's new state, packed ``[N, H]``.

    The backward computes every factor that does not depend on the incoming gradient over all tokens
    at once, so a step of its loop is seven operations, and the weight gradient is one product.
    """

    @staticmethod
    def forward(ctx, xw: Tensor, w_hh: Tensor, b_hh: Tensor, batch_sizes: list[int], h0: Tensor):  # type: ignore[override]
        n_tokens, hidden = xw.shape[0], w_hh.shape[1]
        saved = (torch.empty(n_tokens, 2 * hidden, dtype=xw.dtype, device=xw.device),
                 torch.empty(n_tokens, hidden, dtype=xw.dtype, device=xw.device),
                 torch.empty(n_tokens, 3 * hidden, dtype=xw.dtype, device=xw.device))
        states = _recurrence(xw, w_hh, b_hh, batch_sizes, h0, saved)
        ctx.save_for_backward(w_hh, h0, states, *saved)
        ctx.batch_sizes = batch_sizes
        return states

    @staticmethod
    def backward(ctx, d_states: Tensor):  # type: ignore[override]
        w_hh, h0, states, rz, cand, hw = ctx.saved_tensors
        batch_sizes = ctx.batch_sizes
        starts = _starts(batch_sizes)
        hidden = w_hh.shape[1]
        r, z, hn = rz[:, :hidden], rz[:, hidden:], hw[:, 2 * hidden:]
        prev = _previous_states(states, h0, batch_sizes, starts)
        # the new state is (1 − z)·n + z·h with n = tanh(x_n + r·hn): with g its gradient,
        # d(n pre-activation) = g·a, d(z pre-activation) = g·b, d(r pre-activation) = d(n pre)·c
        a = (1 - z) * (1 - cand * cand)
        b = (prev - cand) * z * (1 - z)
        c = hn * r * (1 - r)
        d_hw = torch.empty_like(hw)  # gradient of the recurrent projection; its r|z part is also x's
        d_xn = torch.empty_like(cand)
        d_h = torch.zeros_like(h0)  # gradient reaching each row's state from later steps
        for t in range(len(batch_sizes) - 1, -1, -1):
            n = batch_sizes[t]
            rows = slice(starts[t], starts[t] + n)
            g = d_h[:n] + d_states[rows]
            d_pre_n = torch.mul(g, a[rows], out=d_xn[rows])
            torch.mul(d_pre_n, c[rows], out=d_hw[rows, :hidden])
            torch.mul(g, b[rows], out=d_hw[rows, hidden: 2 * hidden])
            torch.mul(d_pre_n, r[rows], out=d_hw[rows, 2 * hidden:])
            torch.mul(g, z[rows], out=d_h[:n]).addmm_(d_hw[rows], w_hh)
        d_xw = torch.cat([d_hw[:, : 2 * hidden], d_xn], dim=1) if ctx.needs_input_grad[0] else None
        d_w = d_hw.t() @ prev if ctx.needs_input_grad[1] else None
        d_b = d_hw.sum(0) if ctx.needs_input_grad[2] else None
        return d_xw, d_w, d_b, None, d_h if ctx.needs_input_grad[4] else None


def packed_gru(x: Tensor, batch_sizes: list[int], w_ih: Tensor, w_hh: Tensor, b_ih: Tensor, b_hh: Tensor,
               h0: Tensor | None = None, extra: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """A one-layer GRU over packed inputs ``x`` ``[N, in]`` (``pack_padded_sequence(...).data`` layout).

    ``extra`` ``[N, 3H]``, if given, is added to the input projections (a per-sentence term already
    expanded to its tokens, e.g. the decoder's code projection).  Returns every step's state, packed
    ``[N, H]``, and each row's last state ``[B, H]`` (B = ``batch_sizes[0]``).
    """
    xw = torch.addmm(b_ih, x, w_ih.t())
    if extra is not None:
        xw = xw + extra
    sizes = [int(n) for n in batch_sizes]
    if h0 is None:
        h0 = torch.zeros(sizes[0], w_hh.shape[1], dtype=xw.dtype, device=xw.device)
    grads = torch.is_grad_enabled() and any(t.requires_grad for t in (xw, w_hh, b_hh, h0))
    states = (_GRURecurrence.apply(xw, w_hh, b_hh, sizes, h0) if grads
              else _recurrence(xw, w_hh, b_hh, sizes, h0, None))
    return states, states[_last_index(sizes, _starts(sizes), states.device)]
