"""Hourglass convolution (HgC), the building block shared by both H2CN motion blocks.

For each output step t and channel c it computes

    y_t = w_prev * (S * x_{t-1}) + w_cur * x_t + w_next * (S * x_{t+1})

where ``S`` is a depthwise spatial convolution applied only to the two neighbours. The current step
is seen at 1x1 while its neighbours see a wider window, so the receptive field over (t-1, t, t+1) is
wide-narrow-wide: an hourglass, meant to follow things that move far between adjacent frames.

Why a grouped Conv3d and not three per-channel scalars: the original stores the temporal weights
as a ``Conv3d(C, C*e, (3,1,1), stride (3,1,1), groups=C)`` applied to the interleaved sequence
``[S*x_{t-1}, x_t, S*x_{t+1}]`` for every t. Keeping that parameter (shape ``[C*e, 1, 3, 1, 1]``,
index 0 = previous, 1 = current, 2 = next) keeps released checkpoints loadable and allows a channel
expansion ``e`` (output channel ``o`` reads input channel ``o // e``).

Borders: ``"valid"`` keeps only steps that have both neighbours (T_out = T - 2, frame-level block);
``"same"`` pads zero maps before the first and after the last step (T_out = T, clip-level block).
"""
from __future__ import annotations

import torch
import torch.nn as nn
from torch import Tensor


class HourglassConv(nn.Module):
    """Hourglass convolution over a ``(N, T, C, H, W)`` sequence.

    Args:
        channels: input channels C.
        expansion: output channels per input channel (output C*expansion).
        dilation: dilation of the 3x3 depthwise spatial operator S (padding keeps the size).
        border: ``"valid"`` (T_out = T - 2) or ``"same"`` (zero neighbours outside, T_out = T).
    """

    def __init__(self, channels: int, expansion: int = 1, dilation: int = 1, border: str = "same") -> None:
        super().__init__()
        if border not in ("valid", "same"):
            raise ValueError(f"HourglassConv border must be 'valid' or 'same', got {border!r}")
        self.channels = channels
        self.expansion = expansion
        self.border = border
        self.spatial = nn.Conv2d(
            channels, channels, kernel_size=3, padding=dilation, dilation=dilation, groups=channels, bias=False
        )
        self.temporal = nn.Conv3d(
            channels, channels * expansion, kernel_size=(3, 1, 1), stride=(3, 1, 1), groups=channels, bias=False
        )

    def forward(self, x: Tensor) -> Tensor:
        """``x`` (N, T, C, H, W) -> (N, T_out, C*expansion, H, W)."""
        n, t, c, h, w = x.shape
        if self.border == "valid" and t < 3:
            raise ValueError(f"HourglassConv(border='valid') needs at least 3 steps, got {t}")
        agg = self.spatial(x.reshape(n * t, c, h, w)).view(n, t, c, h, w)
        if self.border == "valid":
            prev, cur, nxt = agg[:, :-2], x[:, 1:-1], agg[:, 2:]
        else:
            zero = torch.zeros_like(agg[:, :1])
            prev = torch.cat((zero, agg[:, :-1]), dim=1)
            nxt = torch.cat((agg[:, 1:], zero), dim=1)
            cur = x
        t_out = cur.shape[1]
        # (N, T_out, 3, C, H, W) -> (N, C, T_out*3, H, W): each output step owns one triplet.
        seq = torch.stack((prev, cur, nxt), dim=2).reshape(n, t_out * 3, c, h, w).transpose(1, 2)
        out = self.temporal(seq)  # (N, C*e, T_out, H, W)
        return out.transpose(1, 2).contiguous()
