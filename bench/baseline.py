"""A straightforward padded implementation of the shared backbone: the yardstick of the fast path.

What a first PyTorch port would do: random (unbucketed) batches, GRUs over the padded tensor, the
encoder state gathered at the last real position, logits for every position including padding and
cross-entropy with ``ignore_index``.  It computes the same function as ``GRUBackbone`` (a test
checks the losses agree) and exists so that ``bench profile --baseline`` and the benchmarks can
measure the speed-up honestly, on the same weights.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from methods.backbone import GRUBackbone
from methods.base import Batch


class PaddedBackbone(GRUBackbone):
    def encode_embedded(self, emb: Tensor, lengths: Tensor) -> Tensor:
        out, _ = self.encoder(emb)
        last = (lengths.to(emb.device) - 1).view(-1, 1, 1).expand(-1, 1, out.shape[2])
        return out.gather(1, last).squeeze(1)

    def reconstruction(self, batch: Batch, z: Tensor) -> Tensor:
        tokens = batch.tokens
        start = torch.full((tokens.shape[0], 1), self.eos_id, dtype=tokens.dtype, device=tokens.device)
        emb = self.embedding(torch.cat([start, tokens[:, :-1]], dim=1))
        out, _ = self.decoder(torch.cat([emb, z.unsqueeze(1).expand(-1, emb.shape[1], -1)], dim=2))
        logits = self.output(out)
        ce = nn.functional.cross_entropy(logits.transpose(1, 2), tokens, ignore_index=0, reduction="none")
        return ce.sum(1)


def make_straightforward(model: nn.Module) -> nn.Module:
    """Swap every ``GRUBackbone`` inside ``model`` for the padded one, keeping the same parameters."""
    for module in model.modules():
        if type(module) is GRUBackbone:
            module.__class__ = PaddedBackbone
    return model
