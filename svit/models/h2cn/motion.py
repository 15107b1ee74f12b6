"""Frame-level motion branch of H2CN (FMCB + motion stem).

Short-term motion is read from the raw pixels of each segment's snippet of 5 consecutive frames at
half resolution: two hourglass levels reduce 5 frames -> 3 -> 1 (a hierarchy whose level 1 starts
as a frame difference ``x_t - S*x_{t+1}``), then a 7x7/2 conv stem brings the 9-channel map to the
key-frame stem's width so the backbone can add it to the appearance stream.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from svit.models.h2cn.hourglass import HourglassConv


class FrameHourglassLevel(nn.Module):
    """One FMCB level: valid-border hourglass (dilated 3x3 S) + BatchNorm + ReLU.

    ``difference_init`` sets the temporal kernel to (0, +1, -1) (``x_t - S*x_{t+1}``), the level-1
    init of the original; otherwise Kaiming-normal (fan_out, ReLU). S is Xavier-normal.
    """

    def __init__(self, channels: int, expansion: int, difference_init: bool) -> None:
        super().__init__()
        self.hgc = HourglassConv(channels, expansion=expansion, dilation=2, border="valid")
        self.bn = nn.BatchNorm2d(channels * expansion)
        nn.init.xavier_normal_(self.hgc.spatial.weight)
        with torch.no_grad():
            if difference_init:
                w = self.hgc.temporal.weight
                w.zero_()
                w[:, 0, 1] = 1.0
                w[:, 0, 2] = -1.0
            else:
                nn.init.kaiming_normal_(self.hgc.temporal.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: Tensor) -> Tensor:
        """``x`` (N, T, C, H, W) -> (N, T-2, C*e, H, W)."""
        y = self.hgc(x)
        n, t, c, h, w = y.shape
        return F.relu(self.bn(y.view(n * t, c, h, w))).view(n, t, c, h, w)


class FrameMotionBranch(nn.Module):
    """Snippets ``(N, L=5, 3, H, W)`` -> motion features ``(N, out_channels, H/8, W/8)``.

    The result still has to be resized to the key-frame stem's map (done by the backbone, which
    knows that size).
    """

    def __init__(self, snippet_len: int = 5, in_channels: int = 3, out_channels: int = 64) -> None:
        super().__init__()
        if snippet_len != 5:
            raise ValueError(
                f"H2CN's frame-level branch is a 5 -> 3 -> 1 hierarchy; snippet length {snippet_len} is unsupported"
            )
        self.snippet_len = snippet_len
        self.level1 = FrameHourglassLevel(in_channels, expansion=1, difference_init=True)
        self.level2 = FrameHourglassLevel(in_channels, expansion=3, difference_init=False)
        self.stem_conv = nn.Conv2d(in_channels * 3, out_channels, kernel_size=7, stride=2, padding=3, bias=False)
        self.stem_bn = nn.BatchNorm2d(out_channels)
        self.stem_pool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)

    @torch.no_grad()
    def init_stem_from_rgb_conv(self, rgb_weight: Tensor) -> None:
        """TSN cross-modality init: the RGB 7x7 kernel's mean over input channels, copied to all 9."""
        mean = rgb_weight.mean(dim=1, keepdim=True)
        self.stem_conv.weight.copy_(mean.expand_as(self.stem_conv.weight))

    def forward(self, snippets: Tensor) -> Tensor:
        n, l, c, h, w = snippets.shape
        x = F.avg_pool2d(snippets.reshape(n * l, c, h, w), kernel_size=2, stride=2)
        x = x.view(n, l, c, *x.shape[-2:])
        x = self.level2(self.level1(x))  # (N, 1, 9, h, w)
        x = x.flatten(0, 1)
        x = F.relu(self.stem_bn(self.stem_conv(x)))
        return self.stem_pool(x)
