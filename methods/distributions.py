"""The probability pieces the sparsifiers share, each checked in tests against a closed form or simulation.

Kept apart from the models so that one bug fix reaches every method, and so that each formula has
exactly one implementation.  Sign conventions follow the paper that uses a function: HSVAE
(Prokhorov et al. 2021) and MAT-VAE (Mathieu et al. 2019) pass γ = P(spike) (dimension *off*); TON
(Tonolini et al. 2020, VSC) passes γ = P(slab) (dimension *on*).  Every ``log`` of a probability
takes an explicit ``eps`` so that callers keep their reference's ε: 1e-5 in HSVAE's
``Scripts/Models/hsvae.py`` (VictorProkhorov/HSVAE), 1e-6 in VSC's ``models/vae_ss_ss_vamp_ept_sp.py``
(ftonolini45/Variational_Sparse_Coding).
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import Tensor

#: Standard deviation of the Gaussian spike of HSVAE and MAT-VAE: not a Dirac delta (σ0 = 0.05 in
#: HSVAE's ``Scripts/Models/hsvae.py`` and ``mat_vae.py``; Mathieu et al. 2019, ``src/distributions/sparse.py``).
SPIKE_STD = 0.05
#: Scales of the inverse-multiquadric MMD kernel, C_s = 2·s (``imq_dim_kernel`` in
#: iffsid/disentangling-disentanglement ``src/regularisers.py``; the same in HSVAE's ``mat_vae.py``).
IMQ_SCALES = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
_LOG_2PI = math.log(2 * math.pi)


def gradient_preserving_clamp(x: Tensor, low: float, high: float) -> Tensor:
    """Forward value clamped to ``[low, high]``, backward the identity (the NaN fix of HSVAE's README,
    VictorProkhorov/HSVAE: clip the Beta parameters to [0.5, 100] while keeping their gradient)."""
    return x + (x.clamp(low, high) - x).detach()


def normal_log_prob(x: Tensor, mean: Tensor | float, std: Tensor | float) -> Tensor:
    std_t = torch.as_tensor(std, dtype=x.dtype, device=x.device)
    return -0.5 * ((x - mean) / std_t).pow(2) - torch.log(std_t) - 0.5 * _LOG_2PI


def spike_slab_log_prob(z: Tensor, spike_prob: Tensor | float, slab_mean: Tensor | float,
                        slab_std: Tensor | float, *, spike_std: float = SPIKE_STD, eps: float = 1e-5) -> Tensor:
    """log[γ·N(z; 0, σ0²) + (1−γ)·N(z; μ, s²)] elementwise, by log-sum-exp; γ is the *spike* weight.

    ``eps`` goes inside log(γ) and log(1−γ), as in HSVAE (which makes the weights sum to 1 + 2ε:
    the reference's choice, kept so losses are comparable).
    """
    g = torch.as_tensor(spike_prob, dtype=z.dtype, device=z.device)
    spike = torch.log(g + eps) + normal_log_prob(z, 0.0, spike_std)
    slab = torch.log(1 - g + eps) + normal_log_prob(z, slab_mean, slab_std)
    return torch.logaddexp(spike, slab)


def beta_kl(a: Tensor, b: Tensor, alpha: float | Tensor, beta: float | Tensor) -> Tensor:
    """KL(Beta(a, b) || Beta(α, β)) elementwise, analytic: HSVAE's λ-weighted term (Prokhorov et al.
    2021, the third ELBO term; ``Scripts/Models/hsvae.py``)."""
    alpha_t = torch.as_tensor(alpha, dtype=a.dtype, device=a.device)
    beta_t = torch.as_tensor(beta, dtype=a.dtype, device=a.device)

    def log_beta_fn(x: Tensor, y: Tensor) -> Tensor:
        return torch.lgamma(x) + torch.lgamma(y) - torch.lgamma(x + y)

    return (log_beta_fn(alpha_t, beta_t) - log_beta_fn(a, b) + (a - alpha_t) * torch.digamma(a)
            + (b - beta_t) * torch.digamma(b) + (alpha_t - a + beta_t - b) * torch.digamma(a + b))


def logit_noise(shape: torch.Size, *, eps: float, like: Tensor) -> Tensor:
    """Logistic noise log(u+ε) − log(1−u+ε), u ~ U(0, 1)."""
    u = torch.rand(shape, dtype=like.dtype, device=like.device)
    return torch.log(u + eps) - torch.log(1 - u + eps)


def hard_binary_concrete(prob: Tensor, temperature: float, *, eps: float = 1e-5) -> Tensor:
    """A 0/1 draw with P(1) ≈ ``prob``; the backward pass is that of the relaxed sample (straight-through).

    s̃ = sigmoid((log(p+ε) − log(1−p+ε) + logistic noise)/τ); forward 1[s̃ ≥ 0.5] (HSVAE's ``hsvae.py``).
    """
    logit = torch.log(prob + eps) - torch.log(1 - prob + eps)
    soft = torch.sigmoid((logit + logit_noise(prob.shape, eps=eps, like=prob)) / temperature)
    hard = (soft >= 0.5).to(soft.dtype)
    return soft + (hard - soft).detach()


def sample_spike_slab_prior(shape: Sequence[int], spike_prob: float, *, spike_std: float = SPIKE_STD,
                            dtype: torch.dtype = torch.float32, device: torch.device | str = "cpu") -> Tensor:
    """Draws from Π_d [γ·N(0, σ0²) + (1−γ)·N(0, 1)] (MAT-VAE's fixed prior,
    Mathieu et al. 2019, γ = 0.8; HSVAE's ``mat_vae.py``); no gradient needed."""
    spike = torch.rand(shape, dtype=dtype, device=device) < spike_prob
    noise = torch.randn(shape, dtype=dtype, device=device)
    return torch.where(spike, noise * spike_std, noise)


class _IMQKernelSum(torch.autograd.Function):
    """K_ij = Σ_s Σ_d C_s / (C_s + (x_id − y_jd)²), with a hand-written backward.

    Autograd would keep several B×B×D tensors per scale alive for the backward pass; this keeps only
    the inputs and recomputes the differences one block of dimensions at a time, so peak memory is a
    few ``[B, B, block]`` temporaries (at B = 256, D = 768 one full B×B×D tensor is 200 MB in
    float32; by default a block holds at most 2²⁴ elements, 64 MB).
    """

    @staticmethod
    def forward(ctx, x: Tensor, y: Tensor, scales: Tensor, block: int) -> Tensor:  # type: ignore[override]
        ctx.save_for_backward(x, y, scales)
        ctx.block = block
        out = x.new_zeros(x.shape[0], y.shape[0])
        for lo in range(0, x.shape[1], block):
            sq = (x[:, None, lo:lo + block] - y[None, :, lo:lo + block]).pow_(2)
            for c in scales.tolist():
                out += (sq + c).reciprocal_().mul_(c).sum(-1)
        return out

    @staticmethod
    def backward(ctx, grad: Tensor):  # type: ignore[override]
        x, y, scales = ctx.saved_tensors
        gx = torch.zeros_like(x) if ctx.needs_input_grad[0] else None
        gy = torch.zeros_like(y) if ctx.needs_input_grad[1] else None
        for lo in range(0, x.shape[1], ctx.block):
            diff = x[:, None, lo:lo + ctx.block] - y[None, :, lo:lo + ctx.block]
            sq = diff * diff
            dk = torch.zeros_like(diff)  # d K / d diff, summed over scales
            for c in scales.tolist():
                dk -= 2 * c * diff / (sq + c).pow(2)
            weighted = dk * grad[:, :, None]
            if gx is not None:
                gx[:, lo:lo + ctx.block] = weighted.sum(1)
            if gy is not None:
                gy[:, lo:lo + ctx.block] = -weighted.sum(0)
        return gx, gy, None, None


def imq_kernel(x: Tensor, y: Tensor, scales: Sequence[float] = IMQ_SCALES, *, max_elements: int = 2 ** 24) -> Tensor:
    """The additive multi-scale IMQ kernel matrix ``[len(x), len(y)]`` of MAT-VAE; C_s = 2·s.

    ``max_elements`` bounds the size of each ``[B, B, block]`` temporary.
    """
    block = max(1, max_elements // max(1, x.shape[0] * y.shape[0]))
    c = torch.tensor([2.0 * s for s in scales], dtype=torch.float64)
    return _IMQKernelSum.apply(x, y, c, block)


def imq_mmd(z: Tensor, z_prior: Tensor, scales: Sequence[float] = IMQ_SCALES) -> Tensor:
    """Unbiased MMD² between posterior samples ``z`` and prior samples ``z_prior`` (both ``[B, D]``),
    as ``decomp_objective`` in iffsid/disentangling-disentanglement ``src/objectives.py`` computes it.

    Within-sample sums leave out i = j; the cross term keeps it, exactly as the reference.
    """
    n = z.shape[0]
    if n < 2 or z_prior.shape[0] != n:
        from methods.errors import MethodError

        raise MethodError(f"the MMD needs two samples of equal size ≥ 2, got {n} and {z_prior.shape[0]}; "
                          "use a batch size of at least 2")
    k_pp, k_qq, k_pq = imq_kernel(z_prior, z_prior, scales), imq_kernel(z, z, scales), imq_kernel(z_prior, z, scales)
    off = 1.0 - torch.eye(n, dtype=z.dtype, device=z.device)
    return ((k_pp + k_qq) * off).sum() / (n * (n - 1)) - 2.0 * k_pq.sum() / (n * n)


def bernoulli_kl(p: Tensor, q: Tensor | float, *, eps: float = 1e-6) -> Tensor:
    """KL(Bern(p) || Bern(q)) elementwise, with ε inside every log (pytorch#15288)."""
    q_t = torch.as_tensor(q, dtype=p.dtype, device=p.device)
    return (p * (torch.log(p + eps) - torch.log(q_t + eps))
            + (1 - p) * (torch.log(1 - p + eps) - torch.log(1 - q_t + eps)))


def spike_slab_kl(active_q: Tensor, mean_q: Tensor, std_q: Tensor, active_p: Tensor, mean_p: Tensor,
                  std_p: Tensor, *, eps: float = 1e-6) -> Tensor:
    """KL between two spike-and-slab laws with a Dirac spike at 0 (Tonolini et al. 2020,
    supplementary material ``239_supplement.pdf`` in ftonolini45/Variational_Sparse_Coding); γ = P(*active*).

    KL = γ_q·KL(N(μ_q, s_q²) || N(μ_p, s_p²)) + KL(Bern(γ_q) || Bern(γ_p)), elementwise (broadcasting).
    """
    gauss = (torch.log(std_p / std_q) + (std_q.pow(2) + (mean_q - mean_p).pow(2)) / (2 * std_p.pow(2)) - 0.5)
    return active_q * gauss + bernoulli_kl(active_q, active_p, eps=eps)
