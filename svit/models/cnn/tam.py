"""TAM, the Temporal Aggregation Module of IBM's "Deep Analysis of CNN-based Spatio-temporal
Representations" (IBM action-recognition-pytorch, Chen et al., CVPR 2021; github.com/IBM/action-recognition-pytorch,
models/twod_models/temporal_modeling.py).

Per channel, a 2D network sees only one frame; TAM lets every frame read its neighbours at the
cost of a few 1x1 convolutions: with B blending frames, conv i (depthwise by default) is applied
to every frame and its output is moved by s_i = i - B//2 frames in time, so that frame t receives
conv_i(X)_{t+s_i} (zero outside the clip). The B terms are summed (or max-ed) and passed through
a ReLU: for B = 3, Y_t = ReLU(P_{t-1} + Q_t + R_{t+1}).

Parameter names mirror the original checkpoints (``prev_se.fc1`` / ``curr_se.fc1`` /
``next_se.fc1`` for B = 3, ``blending_layers.{i}.fc1`` otherwise) so IBM weights load unchanged.
"""
from __future__ import annotations

import torch
import torch.nn as nn
from torch import Tensor


class _PointwiseConv(nn.Module):
    """One blending branch: a bias-free 1x1 conv, kept in a wrapper for the ``.fc1`` key name."""

    def __init__(self, channels: int, depthwise: bool) -> None:
        super().__init__()
        self.fc1 = nn.Conv2d(channels, channels, 1, bias=False, groups=channels if depthwise else 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc1(x)


def shift_in_time(x: Tensor, shift: int) -> Tensor:
    """Returns ``y`` with ``y[:, t] = x[:, t + shift]`` for ``x`` of shape ``(N, T, ...)``;
    positions whose source falls outside ``[0, T)`` are zero."""
    if shift == 0:
        return x
    t = x.shape[1]
    out = torch.zeros_like(x)
    if abs(shift) >= t:
        return out
    if shift > 0:
        out[:, : t - shift] = x[:, shift:]
    else:
        out[:, -shift:] = x[:, : t + shift]
    return out


class TAM(nn.Module):
    """Temporal Aggregation Module on per-frame features ``(N*T, C, H, W)`` (frame index inner).

    Args:
        duration: frames T per clip at this point of the network.
        channels: feature channels C.
        dw_conv: depthwise 1x1 convs (one weight per channel) instead of full CxC ones.
        blending_frames: number of blended time offsets B (window centred on the frame).
        blending_method: "sum" or "max" over the B terms (before the ReLU).
    """

    def __init__(
        self,
        duration: int,
        channels: int,
        dw_conv: bool = True,
        blending_frames: int = 3,
        blending_method: str = "sum",
    ) -> None:
        super().__init__()
        if blending_method not in ("sum", "max"):
            raise ValueError(f"TAM: blending_method must be sum or max, got {blending_method!r}")
        if blending_frames < 1:
            raise ValueError(f"TAM: blending_frames must be >= 1, got {blending_frames}")
        self.duration = duration
        self.blending_frames = blending_frames
        self.blending_method = blending_method
        if blending_frames == 3:
            self.prev_se = _PointwiseConv(channels, dw_conv)
            self.curr_se = _PointwiseConv(channels, dw_conv)
            self.next_se = _PointwiseConv(channels, dw_conv)
        else:
            self.blending_layers = nn.ModuleList(
                _PointwiseConv(channels, dw_conv) for _ in range(blending_frames)
            )

    def branches(self) -> list[nn.Module]:
        """The B convs in the order of their time offsets -B//2 ... (B-1) - B//2."""
        if self.blending_frames == 3:
            return [self.prev_se, self.curr_se, self.next_se]
        return list(self.blending_layers)

    def forward(self, x: Tensor) -> Tensor:
        nt, c, h, w = x.shape
        if nt % self.duration:
            raise ValueError(f"TAM: batch*time {nt} is not divisible by duration {self.duration}")
        half = self.blending_frames // 2
        terms = [
            shift_in_time(conv(x).view(-1, self.duration, c, h, w), i - half)
            for i, conv in enumerate(self.branches())
        ]
        stacked = torch.stack(terms, dim=0)
        out = stacked.sum(dim=0) if self.blending_method == "sum" else stacked.amax(dim=0)
        return torch.relu(out).view(nt, c, h, w)

    def extra_repr(self) -> str:
        return f"duration={self.duration}, blending={self.blending_frames}-{self.blending_method}"
