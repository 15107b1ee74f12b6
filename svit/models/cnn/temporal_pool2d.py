"""Temporal pooling between the stages of 2D backbones (IBM "-tp"/"-ts" models, IBM action-recognition-pytorch, Chen
et al., CVPR 2021; github.com/IBM/action-recognition-pytorch).

2D backbones keep frames stacked on the batch axis, so down-sampling time means viewing
``(N*T, C, H, W)`` as ``(N, C, T, H, W)``, pooling with a (3,1,1) window, stride (2,1,1), padding
(1,0,0), and stacking the frames back. Average pooling counts the zero padding (PyTorch default,
as in the original), so border frames are averaged with zeros.
"""
from __future__ import annotations

import torch.nn as nn
from torch import Tensor


def pooled_length(frames: int, kernel: int = 3, stride: int = 2) -> int:
    """Frames left after one temporal pool (ceil(T/2) for the default window)."""
    pad = (kernel - 1) // stride
    return (frames + 2 * pad - kernel) // stride + 1


class TemporalPool2d(nn.Module):
    """Pools per-frame features ``(N*T, C, H, W)`` over time; returns ``(N*T', C, H, W)``."""

    def __init__(self, frames: int, method: str = "max", kernel: int = 3, stride: int = 2) -> None:
        super().__init__()
        self.frames = frames
        pad = (kernel - 1) // stride
        args = dict(kernel_size=(kernel, 1, 1), stride=(stride, 1, 1), padding=(pad, 0, 0))
        if method == "max":
            self.pool: nn.Module = nn.MaxPool3d(**args)
        elif method == "avg":
            self.pool = nn.AvgPool3d(**args)
        else:
            raise ValueError(f"temporal pooling method must be max or avg, got {method!r}")
        self.out_frames = pooled_length(frames, kernel, stride)

    def forward(self, x: Tensor) -> Tensor:
        nt, c, h, w = x.shape
        x = x.view(nt // self.frames, self.frames, c, h, w).transpose(1, 2)
        x = self.pool(x)
        return x.transpose(1, 2).reshape(-1, c, h, w)
