"""SV-Mix soft labels: smoothed one-hots mixed by λ (offline) or by a feature-saliency ratio (online).

Why saliency: a soft mask's area says little about how much of each clip's *evidence* survives. The
original weighs every feature cell by a softmax (no temperature) over all (τ, h, w) cells of the
channel-mean feature map, aligns it with frames by repeating each τ s_t times consecutively (the same
repeat-interleave as the mask; the UniFormer project of github.com/ty-97/Seletive-Volume-Mix tiled
instead, which pairs frames with the wrong saliency), averages the target weight over each cell's
s_s×s_s pixel block, and sets

    λ_sal,b = Σ S_b M̄_b / (Σ S_b M̄_b + Σ S_π(b) (1 − M̄_b)).

A constant mask gives λ_sal = λ exactly (the extreme-λ fallback is plain mixup, labels included).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from svit.losses.targets import smooth_one_hot
from svit.svmix.masks import feature_scales


def saliency_lambda(features: Tensor, target_weight: Tensor, perm: Tensor) -> Tensor:
    """Per-sample λ_sal ``(B,)`` from the clean features ``(B, C, T_f, H_f, W_f)`` and the online
    target weight ``(B, T, H, W)``."""
    b, _, t_f, h_f, w_f = features.shape
    frames, h, w = target_weight.shape[1:]
    s_t, s_h, s_w = feature_scales(frames, (h, w), (t_f, h_f, w_f))
    sal = torch.softmax(features.float().mean(dim=1).reshape(b, -1), dim=-1).reshape(b, t_f, h_f, w_f)
    sal = sal.repeat_interleave(s_t, dim=1)
    kept = F.avg_pool2d(target_weight.float(), kernel_size=(s_h, s_w))
    remain = (sal * kept).sum(dim=(1, 2, 3))
    source = (sal[perm] * (1.0 - kept)).sum(dim=(1, 2, 3))
    return remain / (remain + source)


def mix_targets(labels: Tensor, num_classes: int, smoothing: float, lam: float | Tensor, perm: Tensor) -> Tensor:
    """``λ·ỹ + (1 − λ)·ỹ[perm]`` with ỹ the smoothed one-hot; ``lam`` a scalar or per-sample ``(B,)``."""
    y = smooth_one_hot(labels, num_classes, smoothing)
    if isinstance(lam, Tensor) and lam.dim() == 1:
        lam = lam.to(y.dtype).unsqueeze(1)
    return y * lam + y[perm] * (1.0 - lam)
