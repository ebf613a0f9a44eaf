"""BatchTopK's identity and hyperparameters (torch-free)."""
from __future__ import annotations

from dataclasses import dataclass

from methods.declare import SparseAutoencoder, method, sweep
from methods.topk.config import K_KNOBS, K_POINTS, TopKConfig


@sweep(*K_POINTS, knobs=K_KNOBS)
@method("batchtopk", model="methods.batchtopk.model:BatchTopK", modes=("code",), default_mode="code",
        exact_zeros=True,
        sparse_autoencoder=SparseAutoencoder(dictionary="latent_dim", active="k"),
        description="BatchTopK sparse autoencoder (Bussmann et al. 2024): k·B largest per batch, threshold at "
                    "inference; dictionary expansion × input (default 4×), k active on average")
@dataclass(frozen=True)
class BatchTopKConfig(TopKConfig):
    """``k`` is the *average* number of non-zero coordinates per code: training keeps the k·B largest
    activations of a batch of B; inference keeps those above a threshold θ estimated during training
    (Bussmann et al. 2024), so a sentence's code never depends on the batch it is encoded in.  The
    dictionary (``latent_dim``, 0: ``expansion`` = 4 × the input size), AuxK (k_aux = 512, α = 1/32,
    as Bussmann et al. take over from Gao et al.) and the presets' ``k`` (their ``latent_dim``: the
    same number of active dimensions as every other method of the run) are TopK's."""
