"""TopK sparse autoencoder (Makhzani & Frey 2014; Gao et al. 2024, "Scaling and evaluating sparse autoencoders").

z = ReLU(TopK_k(W_enc h + b_enc)): exactly k (or fewer, after the ReLU) non-zero coordinates per
code, with no sparsity penalty to tune.  The dictionary (``latent_dim``, the code's width) defaults
to ``expansion`` = 4 × the input size (see :class:`~methods.topk.config.TopKConfig`).  On the
embedding backbone with ``embed_layers = 0`` this is Gao et al.'s autoencoder: h = x − b_pre,
x̂ = W_dec z + b_pre, trained on the squared error, with their choices:
- decoder columns of unit norm (a reparameterisation W/‖W‖ per latent; Gao et al. renormalise after
  every step and project the gradient, which optimises over the same set);
- the encoder initialised as the transpose of the decoder;
- the AuxK loss: the residual e = x − x̂ is reconstructed from the ``k_aux`` largest pre-activations
  among *dead* latents (none fired for ``dead_steps`` optimiser steps), ‖e − ê‖² / ‖e‖² weighted by
  ``aux_weight`` = 1/32, so that dead latents get a gradient.
The reconstruction term is the squared error Σ_d (x_d − x̂_d)² per sentence (``recon_kind``
"squared_error", not a likelihood: records and leaderboards say so).  On the text backbone the code
conditions the GRU decoder and the loss is the token cross-entropy; AuxK is off there (there is no
residual vector to explain), and with MLP decoders (``embed_layers > 0``: no decoder column per
latent).  One mode, ``code``; activity is z ≠ 0.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from methods.backbones import EmbeddingBackbone, backbone_for, dense
from methods.base import Batch, LossOutput, SparseEncoder
from methods.topk.config import TopKConfig


class TopK(SparseEncoder):
    Config = TopKConfig

    def __init__(self, config: TopKConfig, vocab_size: int, eos_id: int, *, input_dim: int | None = None) -> None:
        super().__init__(config, vocab_size, eos_id, input_dim=input_dim)
        embedding = getattr(config, "backbone", "text") == "embedding"
        config = self.config = config.sized_for(input_dim if embedding else None)  # latent_dim = the dictionary
        self.backbone = backbone_for(config, vocab_size, eos_id, input_dim)
        self.head = dense(self.backbone.hidden_size, config.latent_dim)
        self.linear_sae = isinstance(self.backbone, EmbeddingBackbone) and self.backbone.layers == 0
        if self.linear_sae:
            self.backbone.unit_norm_decoder = True
            with torch.no_grad():  # encoder = decoder transpose at initialisation (Gao et al.)
                self.head.weight.copy_(self.backbone.decoder_weight().t())
        self.register_buffer("idle_steps", torch.zeros(config.latent_dim, dtype=torch.long))

    @property
    def recon_kind(self) -> str:
        """What ``terms["recon"]`` is: squared error on the embedding, token cross-entropy on text."""
        return "squared_error" if isinstance(self.backbone, EmbeddingBackbone) else "token_ce"

    def preactivations(self, batch: Batch) -> Tensor:
        return self.head(self.backbone.encode_hidden(batch))

    def sparsify(self, pre: Tensor) -> Tensor:
        """Keep the k largest pre-activations of each code, then ReLU."""
        top = pre.topk(self.config.k, dim=-1)
        return torch.zeros_like(pre).scatter(-1, top.indices, torch.relu(top.values))

    def loss(self, batch: Batch) -> LossOutput:
        pre = self.preactivations(batch)
        z = self.sparsify(pre)
        if self.training:
            self.observe(z.detach())
        if not isinstance(self.backbone, EmbeddingBackbone):
            recon = self.backbone.reconstruction(batch, z).mean()
            return LossOutput(recon, {"recon": recon})
        x = batch.inputs
        weight = self.backbone.decoder_weight() if self.linear_sae else None  # normalised once per step
        x_hat = self.backbone.decode(z) if weight is None else nn.functional.linear(z, weight) + self.backbone.pre_bias
        recon = (x - x_hat).pow(2).sum(1).mean()
        terms = {"recon": recon}
        total = recon
        aux = self.aux_loss(pre, x - x_hat, weight)
        if aux is not None:
            terms["aux"] = aux
            total = total + self.config.aux_weight * aux
        return LossOutput(total, terms)

    def observe(self, z: Tensor) -> None:
        """Bookkeeping on a training step's codes: which latents fired (for AuxK's dead latents)."""
        self.idle_steps.add_(1).masked_fill_((z != 0).any(0), 0)

    def aux_loss(self, pre: Tensor, residual: Tensor, weight: Tensor | None = None) -> Tensor | None:
        """‖e − ê‖²/‖e‖² with ê = W_dec z_aux decoded from the top ``k_aux`` dead latents; None when no
        latent is dead, in evaluation, or with an MLP decoder (``embed_layers > 0``): AuxK is defined
        for the papers' linear decoder, whose columns are the latents' directions."""
        c = self.config
        if not self.training or not self.linear_sae or c.k_aux == 0 or c.aux_weight == 0:
            return None
        dead = self.idle_steps >= c.dead_steps
        n_dead = int(dead.sum())
        if n_dead == 0:
            return None
        masked = pre.masked_fill(~dead, float("-inf"))
        top = masked.topk(min(c.k_aux, n_dead), dim=-1)
        z_aux = torch.zeros_like(pre).scatter(-1, top.indices, torch.relu(top.values))
        e = residual.detach()
        e_hat = nn.functional.linear(z_aux, self.backbone.decoder_weight() if weight is None else weight)
        return (e - e_hat).pow(2).sum(1).mean() / e.pow(2).sum(1).mean().clamp_min(1e-12)

    def encode(self, batch: Batch, mode: str | None = None) -> Tensor:
        self.check_mode(mode)
        return self.sparsify(self.preactivations(batch))
