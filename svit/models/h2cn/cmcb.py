"""Clip-level motion capture block (CMCB) of H2CN: long-term motion as a channel gate.

Inside every bottleneck, after the first 1x1 conv, the features of the T segments are squeezed to
C/16 channels, passed through a same-border hourglass across neighbouring segments, pooled and
expanded back to C sigmoid gates that re-weight the channels of each segment. It is an excitation
(SE-like) block whose squeeze sees motion across segments rather than one frame.
"""
from __future__ import annotations

import torch
import torch.nn as nn
from torch import Tensor

from svit.models.h2cn.hourglass import HourglassConv


class ClipMotionBlock(nn.Module):
    """``x`` (N*T, C, H, W) -> ``x * gate`` with a per-segment, per-channel gate in (0, 1).

    Args:
        channels: C (the bottleneck width).
        num_segments: T, fixed at build time (the features carry no explicit time axis).
        reduction: squeeze ratio (C' = C // reduction).
    """

    def __init__(self, channels: int, num_segments: int, reduction: int = 16) -> None:
        super().__init__()
        squeezed = channels // reduction
        if squeezed < 1:
            raise ValueError(f"CMCB: {channels} channels cannot be reduced by {reduction}")
        self.num_segments = num_segments
        self.reduce = nn.Conv2d(channels, squeezed, kernel_size=1, bias=False)
        self.reduce_bn = nn.BatchNorm2d(squeezed)
        self.hgc = HourglassConv(squeezed, expansion=1, dilation=1, border="same")
        self.expand = nn.Conv2d(squeezed, channels, kernel_size=1, bias=False)
        self.expand_bn = nn.BatchNorm2d(channels)
        nn.init.xavier_normal_(self.hgc.temporal.weight)

    def forward(self, x: Tensor) -> Tensor:
        nt, _, _, _ = x.shape
        if nt % self.num_segments:
            raise ValueError(f"CMCB: batch*segments {nt} is not divisible by num_segments={self.num_segments}")
        b = self.reduce_bn(self.reduce(x))  # no ReLU (as in the original)
        h = self.hgc(b.view(nt // self.num_segments, self.num_segments, *b.shape[1:]))
        pooled = h.flatten(0, 1).mean(dim=(2, 3), keepdim=True)
        gate = torch.sigmoid(self.expand_bn(self.expand(pooled)))
        return x * gate
