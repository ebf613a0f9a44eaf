"""CSR, Contrastive Sparse Representation (Wen et al., "Beyond Matryoshka", ICML 2025), from sentence-transformers.

The model is sentence-transformers' own ``SparseAutoEncoder`` module (a TopK autoencoder with a
pre-encoder bias, a tied decoder and AuxK dead-latent revival) trained with its own
``CSRReconstructionLoss``: L(k) + L(4k)/8 + β·L_aux.  Nothing of it is rewritten here; this class
adapts it to the harness's interface (a frozen sentence embedding in, codes out).

What is left out, and why: CSR's full objective adds a contrastive term (``CSRLoss``'s γ-weighted
``SparseMultipleNegativesRankingLoss``), which needs *pairs* of related sentences (queries and
passages); the harness's corpora are single labelled sentences with no pairs, and using labels would
make the method supervised.  So ``csr`` here is CSR's sparse autoencoder and reconstruction loss,
unsupervised like every other method of the benchmark.  It exists on the embedding backbone only:
it is an autoencoder of the embedding itself.  One mode, ``code`` (the top-k latents, exact zeros).
The reconstruction term recorded as ``recon`` is the squared error ‖x − x̂_k‖² per sentence
(``recon_kind`` "squared_error"); the objective adds the 4k and AuxK terms as the library does.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from methods.base import Batch, LossOutput, SparseEncoder
from methods.csr.config import CSRConfig
from methods.errors import MethodError


class _SAEBackbone(nn.Module):
    """The library's autoencoder seen through the backbone interface the harness's scoring reads."""

    kind = "embedding"

    def __init__(self, input_dim: int, config: CSRConfig) -> None:
        super().__init__()
        try:
            from sentence_transformers.sparse_encoder.modules import SparseAutoEncoder
        except ImportError as exc:  # an optional extra
            raise MethodError("the csr method needs sentence-transformers ≥ 5: pip install 'sparsebench[embed]'") from exc
        # the library's AuxK takes its top k_aux over every latent with the live ones zeroed, so k_aux
        # above the dictionary size means "every dead latent": capping it there changes nothing
        self.sae = SparseAutoEncoder(input_dim, hidden_dim=config.latent_dim, k=config.k,
                                     k_aux=min(config.k_aux, config.latent_dim), dead_threshold=config.dead_threshold)
        self.input_dim = input_dim

    def decode(self, z: Tensor) -> Tensor:
        return self.sae.decode(z)

    def reconstruction_units(self, batch: Batch) -> int:
        return batch.size * self.input_dim


class CSR(SparseEncoder):
    Config = CSRConfig

    def __init__(self, config: CSRConfig, vocab_size: int, eos_id: int, *, input_dim: int | None = None) -> None:
        super().__init__(config, vocab_size, eos_id, input_dim=input_dim)
        if not input_dim:
            raise MethodError("csr runs on the embedding backbone only: run it with --backbone embedding --encoder NAME")
        config = self.config = config.sized_for(input_dim)  # latent_dim = the dictionary
        self.backbone = _SAEBackbone(input_dim, config)
        from sentence_transformers.sparse_encoder.losses import CSRReconstructionLoss

        self.objective = CSRReconstructionLoss(model=None, beta=config.beta)

    #: What ``terms["recon"]`` is (records and leaderboards name it).
    recon_kind = "squared_error"

    def _x(self, batch: Batch) -> Tensor:
        if batch.inputs is None:
            raise MethodError("csr needs sentence embeddings: run it with --backbone embedding --encoder NAME")
        return batch.inputs

    def loss(self, batch: Batch) -> LossOutput:
        x = self._x(batch)
        features = self.backbone.sae({"sentence_embedding": x})
        parts = self.objective.compute_loss_from_embeddings([features])
        recon = (x - features["decoded_embedding_k"]).pow(2).sum(1).mean()
        terms = {"recon": recon, **{k.replace("reconstruction_loss_", "csr_"): torch.as_tensor(v) for k, v in parts.items()}}
        return LossOutput(sum(parts.values()), terms)

    def encode(self, batch: Batch, mode: str | None = None) -> Tensor:
        self.check_mode(mode)
        sae = self.backbone.sae
        pre = sae.encode_pre_act(sae.prepare(self._x(batch))[0])
        return sae.top_k(pre, self.config.k, compute_aux=False)[0]
