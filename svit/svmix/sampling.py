"""The random draws of one SV-Mix step, from torch's global RNG.

As in the original trainer: with probability ``mix_prob`` the batch is mixed, in the spatial mode with
probability ``switch_prob`` (λ ~ Beta(α_s, α_s), α_s = 1) else the temporal mode (λ ~ Beta(α_t, α_t),
α_t = 0.8); without mixing λ = 1 in the temporal mode, so the online clip stays clean through the
extreme-λ rule while the offline branch still mixes. The offline ratio λ_ofl ~ Beta(α_o, α_o) (1: uniform)
is drawn independently in both modes, and the two permutations π, π_ofl independently.

One mode per batch and per process, shared by both branches. The draws use torch's RNG (not numpy's)
so the trainer's per-epoch reseeding makes a resumed run draw the same values.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass
class SVMixDraw:
    """What one step uses: ``applied`` (mix the online clip), ``mode``, ``lam``, ``lam_ofl``, ``perm``, ``perm_ofl``."""

    applied: bool
    mode: str
    lam: float
    lam_ofl: float
    perm: Tensor
    perm_ofl: Tensor


def _beta(alpha: float) -> float:
    if alpha <= 0:
        raise ValueError(f"SV-Mix Beta parameter must be positive, got {alpha}")
    a = torch.tensor([float(alpha)], dtype=torch.float64)
    return float(torch.distributions.Beta(a, a).sample().item())


def draw_step(
    batch_size: int,
    mix_prob: float = 1.0,
    switch_prob: float = 0.5,
    spatial_alpha: float = 1.0,
    temporal_alpha: float = 0.8,
    offline_alpha: float = 1.0,
) -> SVMixDraw:
    """Draws mode, λ, λ_ofl and the two permutations for a batch of ``batch_size`` clips."""
    if batch_size < 2:
        raise ValueError(f"SV-Mix needs at least 2 clips per process batch to mix, got {batch_size}")
    applied = bool(torch.rand(()).item() < mix_prob)
    spatial = applied and bool(torch.rand(()).item() < switch_prob)
    mode = "spatial" if spatial else "temporal"
    lam = _beta(spatial_alpha if spatial else temporal_alpha) if applied else 1.0
    lam_ofl = _beta(offline_alpha)
    perm = torch.randperm(batch_size)
    perm_ofl = torch.randperm(batch_size)
    return SVMixDraw(applied, mode, lam, lam_ofl, perm, perm_ofl)
