"""The GRU text autoencoder of HSVAE (Prokhorov et al. 2021, its released code), shared by every method.

Encoder: embedding → 1-layer GRU, state at the last non-pad token.  Decoder: 1-layer GRU from a
zero state, fed ``[emb(x_{t-1}); z]`` at every step with ``<EOS>`` as the start symbol, then a linear
layer to the vocabulary.  Initialisation follows the Keras defaults of the reference (embedding
U(±0.05), lecun-normal GRU kernels, glorot-uniform dense layers), since PyTorch's N(0, 1) embedding
init changes training dynamics.

Speed without changing the function.  On CPU no work is spent on padding: a batch's rows keep their
random membership (batch-level terms such as MAT-VAE's MMD see the same codes), and inside the
backbone the tokens are packed (``pack_padded_sequence``: time-major, longest row first), so each GRU
step runs only the rows still alive, through :mod:`methods.backbones.varlen_gru` (a hand-written
backward that turns everything non-sequential into large matrix products); the decoder's code input
is projected once per sentence, not once per token (``[e; z] W = e W_e + z W_z``).  On CUDA the GRUs
run cuDNN over the padded batch: measured on an H200, cuDNN's packed GRU was slower than its padded
one (docs/performance.md), since a GPU runs the padded rows in parallel at no extra latency.  Either way
the output projection and cross-entropy run on the real tokens only, chunked on CPU
(``methods.fused_ce``) so that no ``[tokens, vocab]`` logits tensor is materialised.
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
        if self.straightforward or batch.tokens.device.type != "cpu":
            return self.encode_embedded(self.embedding(batch.tokens), batch.lengths)
        packed = _pack(batch.tokens, batch.lengths)  # embed the real tokens only
        return self._encode_packed(packed._replace(data=self.embedding(packed.data)))

    def encode_embedded(self, emb: Tensor, lengths: Tensor) -> Tensor:
        """Encoder state for already-embedded sequences ``[B, T, embed_dim]`` (e.g. TON's pseudo-inputs)."""
        if self.straightforward:
            out, _ = self.encoder(emb)
            last = (lengths.to(emb.device) - 1).view(-1, 1, 1).expand(-1, 1, out.shape[2])
            return out.gather(1, last).squeeze(1)
        if emb.device.type != "cpu":  # cuDNN over the padded batch, read at each row's last real token
            out, _ = self.encoder(emb)
            last = (lengths.to(out.device) - 1).clamp(min=0)
            return out[torch.arange(out.shape[0], device=out.device), last]
        return self._encode_packed(_pack(emb, lengths))

    def _encode_packed(self, packed: PackedSequence) -> Tensor:
        sizes = packed.batch_sizes.tolist()
        gru = self.encoder
        _, last = packed_gru(packed.data, sizes, gru.weight_ih_l0, gru.weight_hh_l0, gru.bias_ih_l0, gru.bias_hh_l0)
        return last if packed.unsorted_indices is None else last[packed.unsorted_indices]

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
        if tokens.device.type != "cpu":  # cuDNN over the padded batch; the output layer on real tokens only
            out, _ = self.decoder(torch.cat([self.embedding(inputs), z.unsqueeze(1).expand(-1, width, -1)], dim=2))
            lengths = batch.lengths.to(tokens.device)
            real = torch.arange(width, device=tokens.device).unsqueeze(0) < lengths.unsqueeze(1)
            row = torch.repeat_interleave(torch.arange(bsz, device=tokens.device), lengths,
                                          output_size=int(batch.lengths.sum()))  # host lengths: no device sync
            out, targets = out[real], tokens[real]
        else:
            rows = torch.arange(bsz, device=tokens.device).unsqueeze(1).expand(-1, width)
            packed = _pack(torch.stack([inputs, tokens, rows], dim=2), batch.lengths)  # one gather for all three
            prev_tokens, targets, row = packed.data.unbind(1)
            emb = self.embedding(prev_tokens)
            gru = self.decoder
            code_proj = (z @ gru.weight_ih_l0[:, emb.shape[1]:].t())[row]  # [e; z] W = e W_e + z W_z, z once per sentence
            out, _ = packed_gru(emb, packed.batch_sizes.tolist(), gru.weight_ih_l0[:, : emb.shape[1]],
                                gru.weight_hh_l0, gru.bias_ih_l0, gru.bias_hh_l0, extra=code_proj)
        ce = linear_cross_entropy(out, self.output.weight, self.output.bias, targets)
        return torch.zeros(bsz, dtype=ce.dtype, device=ce.device).index_add_(0, row, ce)

    def reconstruction_units(self, batch: Batch) -> int:
        """What ``reconstruction`` sums over in this batch: real tokens (for NLL per token)."""
        return int(batch.lengths.sum())


def _pack(x: Tensor, lengths: Tensor) -> PackedSequence:
    """``x`` ``[B, T, ...]`` packed by ``lengths`` (host tensor), rows sorted longest first when they are not."""
    return pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
