"""Temporal Shift Module (TSM, Lin et al. 2019): zero-cost temporal mixing for 2D CNNs.

A fraction of the channels is moved one frame back in time, an equal fraction one frame
forward, and the rest stays; frames shifted in from outside the clip are zeros.
"""
from __future__ import annotations

import torch
from torch import Tensor


def temporal_shift(x: Tensor, num_segments: int, fold_div: int = 8) -> Tensor:
    """Shifts channels of ``x`` of shape ``(N*T, C, H, W)`` along time (``T = num_segments``).

    Channels ``[0, C/fold_div)`` take the value of the **next** frame (shift left in time),
    channels ``[C/fold_div, 2C/fold_div)`` the value of the **previous** frame, the rest are kept.
    """
    nt, c, h, w = x.shape
    if nt % num_segments:
        raise ValueError(f"temporal_shift: batch*time {nt} is not divisible by num_segments={num_segments}")
    x = x.view(nt // num_segments, num_segments, c, h, w)
    fold = c // fold_div
    out = torch.zeros_like(x)
    out[:, :-1, :fold] = x[:, 1:, :fold]
    out[:, 1:, fold : 2 * fold] = x[:, :-1, fold : 2 * fold]
    out[:, :, 2 * fold :] = x[:, :, 2 * fold :]
    return out.view(nt, c, h, w)
