"""BatchTopK's identity and hyperparameters (torch-free)."""
from __future__ import annotations

from dataclasses import dataclass

from methods.declare import method
from methods.topk.config import TopKConfig


@method("batchtopk", model="methods.batchtopk.model:BatchTopK", modes=("code",), default_mode="code",
        exact_zeros=True,
        description="BatchTopK sparse autoencoder (Bussmann et al. 2024): k·B largest per batch, threshold at inference")
@dataclass(frozen=True)
class BatchTopKConfig(TopKConfig):
    """``k`` is the *average* number of non-zero coordinates per code: training keeps the k·B largest
    activations of a batch of B; inference keeps those above a threshold estimated during training
    (Bussmann et al.); the other fields as TopK's."""
