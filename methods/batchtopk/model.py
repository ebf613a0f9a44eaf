"""BatchTopK sparse autoencoder (Bussmann, Leask & Nanda 2024, "BatchTopK Sparse Autoencoders").

TopK with the budget pooled over the batch: training keeps the k·B largest ReLU pre-activations of
the whole batch, so each code gets as many active latents as it needs while the *average* stays k
(adaptive sparsity, the modern counterpart of HSVAE's per-sentence sparsity).  Because the batch
decides which activations survive, inference uses a global threshold θ instead: z = ReLU(pre)·1[pre > θ],
with θ the running mean (over training steps, exponential, rate 0.01) of the smallest activation
kept in each batch, as the paper estimates it.  Everything else (decoder normalisation, AuxK,
initialisation) is TopK's.  The training objective is a batch statistic: batches must be random
samples of the corpus (the harness's default batching).
"""
from __future__ import annotations

import torch
from torch import Tensor

from methods.batchtopk.config import BatchTopKConfig
from methods.topk.model import TopK

THRESHOLD_RATE = 0.01


class BatchTopK(TopK):
    Config = BatchTopKConfig

    def __init__(self, config: BatchTopKConfig, vocab_size: int, eos_id: int, *, input_dim: int | None = None) -> None:
        super().__init__(config, vocab_size, eos_id, input_dim=input_dim)
        self.register_buffer("threshold", torch.zeros(()))
        self.register_buffer("threshold_set", torch.zeros((), dtype=torch.bool))

    def sparsify(self, pre: Tensor) -> Tensor:
        act = torch.relu(pre)
        if not self.training:
            return act * (act > self.threshold)
        flat = act.flatten()
        keep = min(self.config.k * pre.shape[0], flat.numel())
        top = flat.topk(keep)
        return torch.zeros_like(flat).scatter(0, top.indices, top.values).view_as(pre)

    def observe(self, z: Tensor) -> None:
        """Also track the inference threshold: the smallest activation the batch kept."""
        super().observe(z)
        positive = z[z > 0]
        if positive.numel():
            smallest = positive.min()
            if bool(self.threshold_set):
                self.threshold.lerp_(smallest, THRESHOLD_RATE)
            else:
                self.threshold.copy_(smallest)
                self.threshold_set.fill_(True)
