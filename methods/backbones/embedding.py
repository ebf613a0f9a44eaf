"""A frozen sentence embedding in, a latent model in the middle, the embedding reconstructed out.

This is how most people sparsify sentences today: a sparse autoencoder on a pretrained embedding
(TopK, Gao et al. 2024; BatchTopK, Bussmann et al. 2024; CSR, Wen et al. 2025).  The backbone lets
every latent model of the harness (HSVAE, MAT-VAE, TON, sparsemax, the dense controls) sit on the
same embeddings, so they meet the sparse autoencoders on equal terms.

- ``layers = 0``: linear maps, as the sparse-autoencoder papers: the heads read ``x − b_pre`` and the
  decoder is ``W_dec z + b_pre`` (Gao et al.'s pre-encoder bias, shared by both sides).
- ``layers ≥ 1``: MLPs of ``layers`` hidden layers of ``hidden_dim`` GELU units on each side.
- Reconstruction term (``terms["recon"]``): the Gaussian negative log-likelihood of the embedding,
  Σ_d [½(x_d − x̂_d)²/σ_d² + log σ_d + ½ log 2π] per sentence, with a learned per-dimension σ (as
  TON's image likelihood).  A fixed σ would make the balance against the KL terms depend on the
  embedding's arbitrary scale; a learned one puts every method's likelihood in nats.  Methods whose
  papers train on squared error (the sparse autoencoders) call :meth:`squared_error` instead.
- Pseudo-inputs (TON's prior) are learnable points of the embedding space.

The harness centres the embeddings on the training mean and scales them so that their mean squared
norm on the training split equals the dimension (unit variance per coordinate on average; the mean
norm and the scalar are recorded), so initial scales are sensible for every method and a decoder
output of 0 is the mean.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from methods.base import Batch

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        lin = nn.Linear(a, b)
        nn.init.xavier_uniform_(lin.weight)
        nn.init.zeros_(lin.bias)
        layers.append(lin)
        if i < len(sizes) - 2:
            layers.append(nn.GELU())
    return nn.Sequential(*layers)


class EmbeddingBackbone(nn.Module):
    kind = "embedding"
    #: What :meth:`reconstruction` is; a method that trains on :meth:`squared_error` says so itself.
    recon_kind = "gaussian_nll"

    def __init__(self, input_dim: int, hidden_dim: int, latent_dim: int, layers: int = 1) -> None:
        super().__init__()
        self.input_dim, self.layers = input_dim, layers
        self.pre_bias = nn.Parameter(torch.zeros(input_dim))
        if layers == 0:  # Gao et al.: h = x − b_pre, x̂ = W_dec z + b_pre (b_pre is the only bias)
            self.encoder: nn.Module = nn.Identity()
            self._hidden = input_dim
            self.decoder = nn.Sequential(nn.Linear(latent_dim, input_dim, bias=False))
            nn.init.xavier_uniform_(self.decoder[0].weight)
        else:
            self.encoder = nn.Sequential(_mlp([input_dim] + [hidden_dim] * layers), nn.GELU())
            self._hidden = hidden_dim
            self.decoder = _mlp([latent_dim] + [hidden_dim] * layers + [input_dim])
        self.log_sigma = nn.Parameter(torch.zeros(input_dim))
        #: Linear decoder with unit-norm columns (one per latent), as the sparse-autoencoder papers.
        self.unit_norm_decoder = False

    @property
    def hidden_size(self) -> int:
        return self._hidden

    def encode_hidden(self, batch: Batch) -> Tensor:
        return self.encoder(self._inputs(batch) - self.pre_bias)

    def decoder_weight(self) -> Tensor:
        """The linear decoder's ``[input_dim, latent_dim]`` matrix (``layers = 0`` only), normalised if asked."""
        if self.layers != 0:
            raise ValueError("decoder_weight() exists only for the linear (embed_layers = 0) decoder")
        w = self.decoder[0].weight
        return w / w.norm(dim=0, keepdim=True).clamp_min(1e-8) if self.unit_norm_decoder else w

    def decode(self, z: Tensor) -> Tensor:
        """The reconstructed embedding ``[B, input_dim]`` for codes ``z``."""
        if self.layers == 0:
            return nn.functional.linear(z, self.decoder_weight()) + self.pre_bias
        return self.decoder(z) + self.pre_bias

    def reconstruction(self, batch: Batch, z: Tensor) -> Tensor:
        """Gaussian NLL of the embedding given ``z``, summed over dimensions, ``[B]`` (nats)."""
        x = self._inputs(batch)
        err = (x - self.decode(z)) * torch.exp(-self.log_sigma)
        return (0.5 * err.pow(2) + self.log_sigma + _HALF_LOG_2PI).sum(1)

    def squared_error(self, batch: Batch, z: Tensor) -> Tensor:
        """Σ_d (x_d − x̂_d)² per sentence, ``[B]``: the sparse autoencoders' reconstruction loss."""
        return (self._inputs(batch) - self.decode(z)).pow(2).sum(1)

    def reconstruction_units(self, batch: Batch) -> int:
        """What ``reconstruction`` sums over in this batch: embedding coordinates."""
        return batch.size * self.input_dim

    def pseudo_inputs(self, n: int, length: int) -> nn.Parameter:
        """``n`` learnable points of the (scaled) embedding space; ``length`` is unused here."""
        return nn.Parameter(torch.randn(n, self.input_dim))  # the scaled data has unit variance per dimension on average

    def encode_pseudo(self, pseudo: Tensor) -> Tensor:
        return self.encoder(pseudo - self.pre_bias)

    def _inputs(self, batch: Batch) -> Tensor:
        if batch.inputs is None:
            from methods.errors import MethodError

            raise MethodError("the embedding backbone needs batches with `inputs` (sentence embeddings); "
                              "run with --backbone embedding --encoder NAME")
        return batch.inputs
