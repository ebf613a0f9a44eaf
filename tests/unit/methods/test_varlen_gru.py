"""The packed GRU computes ``torch.nn.GRU``'s function, with its gradients, and never reads padding."""
from __future__ import annotations

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence

from methods.backbones.varlen_gru import packed_gru


def _gru_and_inputs(lengths: list[int], dim: int = 5, hidden: int = 7, seed: int = 0):
    torch.manual_seed(seed)
    gru = torch.nn.GRU(dim, hidden, batch_first=True).double()
    x = torch.randn(len(lengths), max(lengths), dim, dtype=torch.float64, requires_grad=True)
    return gru, x, torch.tensor(lengths)


def _reference(gru, x, lengths, h0, weights):
    """nn.GRU on the padded batch: a weighted sum of every real step's state, plus each row's last state squared."""
    out, _ = gru(x, h0.unsqueeze(0))
    real = (torch.arange(x.shape[1])[None] < lengths[:, None]).double().unsqueeze(2)
    last = out[torch.arange(len(lengths)), lengths - 1]
    return (out * weights * real).sum() + (last ** 2).sum()


def _packed(gru, x, lengths, h0, weights):
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    states, last = packed_gru(packed.data, packed.batch_sizes.tolist(), gru.weight_ih_l0, gru.weight_hh_l0,
                              gru.bias_ih_l0, gru.bias_hh_l0, h0=h0[packed.sorted_indices])
    w = pack_padded_sequence(weights, lengths, batch_first=True, enforce_sorted=False).data
    return (states * w).sum() + (last ** 2).sum()


@pytest.mark.parametrize("lengths", [[9, 9, 7, 5, 5, 3, 1], [1, 4, 2, 8, 8, 3], [6], [3, 3, 3]])
def test_outputs_and_gradients_equal_torch_gru(lengths):
    gru, x, lengths_t = _gru_and_inputs(lengths)
    h0 = torch.randn(len(lengths), gru.hidden_size, dtype=torch.float64, requires_grad=True)
    weights = torch.randn(len(lengths), max(lengths), gru.hidden_size, dtype=torch.float64)
    params = [x, h0, *gru.parameters()]
    want = _reference(gru, x, lengths_t, h0, weights)
    want_grads = torch.autograd.grad(want, params)
    got = _packed(gru, x, lengths_t, h0, weights)
    got_grads = torch.autograd.grad(got, params)
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)
    for name, g, w in zip(["x", "h0", "w_ih", "w_hh", "b_ih", "b_hh"], got_grads, want_grads):
        torch.testing.assert_close(g, w, rtol=1e-10, atol=1e-12, msg=f"gradient of {name}")


def test_padding_is_never_read():
    """Garbage (even NaN) in the padded positions changes nothing: the packed rows never include them."""
    gru, x, lengths = _gru_and_inputs([6, 4, 2])
    dirty = x.detach().clone()
    for row, n in enumerate(lengths.tolist()):
        dirty[row, n:] = float("nan")
    clean, = _run_last(gru, x.detach(), lengths)
    got, = _run_last(gru, dirty, lengths)
    assert torch.equal(got, clean) and torch.isfinite(got).all()


def _run_last(gru, x, lengths):
    packed = pack_padded_sequence(x, lengths, batch_first=True)
    with torch.no_grad():
        _, last = packed_gru(packed.data, packed.batch_sizes.tolist(), gru.weight_ih_l0, gru.weight_hh_l0,
                             gru.bias_ih_l0, gru.bias_hh_l0)
    return (last,)


def test_no_grad_path_equals_the_autograd_path():
    gru, x, lengths = _gru_and_inputs([5, 3, 3, 1])
    packed = pack_padded_sequence(x.detach(), lengths, batch_first=True)
    args = (packed.data, packed.batch_sizes.tolist(), gru.weight_ih_l0, gru.weight_hh_l0, gru.bias_ih_l0,
            gru.bias_hh_l0)
    with_grad = packed_gru(*args)
    with torch.no_grad():
        without = packed_gru(*args)
    for a, b in zip(with_grad, without):
        assert torch.equal(a.detach(), b)


def test_extra_input_term_is_added_to_the_input_projection():
    """``extra`` is the decoder's per-sentence code share: the same as appending the code to every input."""
    torch.manual_seed(3)
    dim, code, hidden, lengths = 4, 3, 6, torch.tensor([5, 4, 2])
    gru = torch.nn.GRU(dim + code, hidden, batch_first=True).double()
    x = torch.randn(3, 5, dim, dtype=torch.float64)
    z = torch.randn(3, code, dtype=torch.float64)
    full, _ = gru(torch.cat([x, z.unsqueeze(1).expand(-1, 5, -1)], dim=2))
    packed = pack_padded_sequence(x, lengths, batch_first=True)
    rows = pack_padded_sequence(torch.arange(3).unsqueeze(1).expand(-1, 5), lengths, batch_first=True).data
    extra = (z @ gru.weight_ih_l0[:, dim:].t())[rows]
    states, _ = packed_gru(packed.data, packed.batch_sizes.tolist(), gru.weight_ih_l0[:, :dim], gru.weight_hh_l0,
                           gru.bias_ih_l0, gru.bias_hh_l0, extra=extra)
    torch.testing.assert_close(states, pack_padded_sequence(full, lengths, batch_first=True).data)
