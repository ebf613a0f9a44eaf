"""The GRU text autoencoder of HSVAE (Prokhorov et al. 2021, its released code), shared by every method.

Encoder: embedding → 1-layer GRU, state at the last non-pad token.  Decoder: 1-layer GRU from a
zero state, fed ``[emb(x_{t-1}); z]`` at every step with ``<EOS>`` as the start symbol, then a linear
layer to the vocabulary.  Initialisation follows the Keras defaults of the reference (embedding
U(±0.05), lecun-normal GRU kernels, glorot-uniform dense layers), since PyTorch's N(0, 1) embedding
init changes training dynamics.

Speed without changing the function: no work is spent on padding.  A batch's rows keep their random
membership (batch-level terms such as MAT-VAE's MMD see the same codes); inside the backbone the
tokens are packed (``pack_padded_sequence``: time-major, longest row first), so each GRU step runs
only the rows still alive.  On CPU the recurrence is :mod:`methods.backbones.varlen_gru` (a
hand-written backward that turns everything non-sequential into large matrix products); on CUDA
cuDNN's packed GRU.  The decoder's code input is projected once per sentence, not once per token
(``[e; z] W = e W_e + z W_z``), and the output projection and cross-entropy run on the packed real
tokens, chunked (``methods.fused_ce``) so that no ``[tokens, vocab]`` logits tensor is materialised.
The result equals the straightforward computation (padded GRUs over the whole batch, logits for
every position, cross-entropy with ``ignore_index``), which ``straightforward=True`` selects: the
yardstick of ``bench profile --baseline`` and of the equivalence tests.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence

from methods.backbones.varlen_gru import packed_gru
from methods.base import Batch
from methods.fused_ce import linear_cross_entropy


def lecun_normal_(w: Tensor) -> Tensor:
    fan_in = w.shape[1]
    std = math.sqrt(1.0 / fan_in) / 0.87962566103423978  # truncated-normal correction, as Keras
    with torch.no_grad():
        nn.init.trunc_normal_(w, std=std, a=-2 * std, b=2 * std)
    return w


class GRUBackbone(nn.Module):
    kind = "text"

    def __init__(self, vocab_size: int, embed_dim: int, hidden_dim: int, latent_dim: int, eos_id: int, *,
                 straightforward: bool = False) -> None:
        super().__init__()
        self.eos_id = eos_id
        #: The straightforward padded computation (same function, slower): for baselines and tests.
        self.straightforward = straightforward
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.encoder = nn.GRU(embed_dim, hidden_dim, batch_first=True)
        self.decoder = nn.GRU(embed_dim + latent_dim, hidden_dim, batch_first=True)
        self.output = nn.Linear(hidden_dim, vocab_size)
        self.reset_parameters()

    @property
    def hidden_size(self) -> int:
        """Width of the state the latent model's heads read."""
        return self.encoder.hidden_size

    def reset_parameters(self) -> None:
        nn.init.uniform_(self.embedding.weight, -0.05, 0.05)
        with torch.no_grad():
            self.embedding.weight[0].zero_()
        for gru in (self.encoder, self.decoder):
            for name, p in gru.named_parameters():
                if name.startswith("weight"):
                    lecun_normal_(p)
                else:
                    nn.init.zeros_(p)
        nn.init.xavier_uniform_(self.output.weight)
        nn.init.zeros_(self.output.bias)

    def encode_hidden(self, batch: Batch) -> Tensor:
        """Encoder GRU state at each sentence's last non-pad token, ``[B, hidden_dim]``."""
        if self.straightforward:
            return self.encode_embedded(self.embedding(batch.tokens), batch.lengths)
        packed = _pack(batch.tokens, batch.lengths)  # embed the real tokens only
        return self._encode_packed(packed._replace(data=self.embedding(packed.data)))

    def encode_embedded(self, emb: Tensor, lengths: Tensor) -> Tensor:
        """Encoder state for already-embedded sequences ``[B, T, embed_dim]`` (e.g. TON's pseudo-inputs)."""
        if self.straightforward:
            out, _ = self.encoder(emb)
            last = (lengths.to(emb.device) - 1).view(-1, 1, 1).expand(-1, 1, out.shape[2])
            return out.gather(1, last).squeeze(1)
        return self._encode_packed(_pack(emb, lengths))

    def _encode_packed(self, packed: PackedSequence) -> Tensor:
        _, last = self._gru(self.encoder, packed)
        return last if packed.unsorted_indices is None else last[packed.unsorted_indices]

    def _gru(self, gru: nn.GRU, packed: PackedSequence, code_proj: Tensor | None = None,
             code: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """(every real token's state, packed; each row's last state, in packed row order).

        ``code_proj`` ``[N, 3H]`` is the decoder's per-token share of the input projection from the
        code (CPU path); ``code`` ``[N, D]`` the code itself, appended to the inputs (cuDNN path).
        """
        sizes = packed.batch_sizes
        if packed.data.device.type == "cpu":
            w_ih = gru.weight_ih_l0 if code_proj is None else gru.weight_ih_l0[:, : packed.data.shape[1]]
            return packed_gru(packed.data, sizes.tolist(), w_ih, gru.weight_hh_l0, gru.bias_ih_l0,
                              gru.bias_hh_l0, extra=code_proj)
        data = packed.data if code is None else torch.cat([packed.data, code], dim=1)
        out, h = gru(PackedSequence(data, sizes))
        return out.data, h[0]

    def pseudo_inputs(self, n: int, length: int) -> nn.Parameter:
        """``n`` learnable pseudo-sentences of ``length`` word embeddings, initialised like the embedding."""
        return nn.Parameter(torch.empty(n, length, self.embedding.embedding_dim).uniform_(-0.05, 0.05))

    def encode_pseudo(self, pseudo: Tensor) -> Tensor:
        """Encoder state of pseudo-inputs made by :meth:`pseudo_inputs`, ``[n, hidden_dim]``."""
        n, length = pseudo.shape[:2]
        return self.encode_embedded(pseudo, torch.full((n,), length, dtype=torch.long))

    def reconstruction(self, batch: Batch, z: Tensor) -> Tensor:
        """Per-sentence summed cross-entropy of ``batch.tokens`` given codes ``z``, ``[B]``."""
        tokens = batch.tokens
        bsz, width = tokens.shape
        start = torch.full((bsz, 1), self.eos_id, dtype=tokens.dtype, device=tokens.device)
        inputs = torch.cat([start, tokens[:, :-1]], dim=1)
        if self.straightforward:
            emb = self.embedding(inputs)
            out, _ = self.decoder(torch.cat([emb, z.unsqueeze(1).expand(-1, width, -1)], dim=2))
            ce = nn.functional.cross_entropy(self.output(out).transpose(1, 2), tokens, ignore_index=0,
                                             reduction="none")
            return ce.sum(1)
        rows = torch.arange(bsz, device=tokens.device).unsqueeze(1).expand(-1, width)
        packed = _pack(torch.stack([inputs, tokens, rows], dim=2), batch.lengths)  # one gather for all three
        prev_tokens, targets, row = packed.data.unbind(1)
        emb = self.embedding(prev_tokens)
        if emb.device.type == "cpu":  # [e; z] W = e W_e + z W_z: the code's share once per sentence
            code_proj = (z @ self.decoder.weight_ih_l0[:, emb.shape[1]:].t())[row]
            out, _ = self._gru(self.decoder, packed._replace(data=emb), code_proj=code_proj)
        else:
            out, _ = self._gru(self.decoder, packed._replace(data=emb), code=z[row])
        ce = linear_cross_entropy(out, self.output.weight, self.output.bias, targets)
        return torch.zeros(bsz, dtype=ce.dtype, device=ce.device).index_add_(0, row, ce)

    def reconstruction_units(self, batch: Batch) -> int:
        """What ``reconstruction`` sums over in this batch: real tokens (for NLL per token)."""
        return int(batch.lengths.sum())


def _pack(x: Tensor, lengths: Tensor) -> PackedSequence:
    """``x`` ``[B, T, ...]`` packed by ``lengths`` (host tensor), rows sorted longest first when they are not."""
    return pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
