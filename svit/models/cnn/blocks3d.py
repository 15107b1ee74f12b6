"""Residual blocks of the 3D ResNets (I3D-ResNet and S3D-ResNet / (2+1)D) of the IBM baselines.

One block class per ResNet block type; a ``separable`` flag turns every spatio-temporal 3×3×3
convolution into a spatial (1,3,3) conv followed by a temporal (3,1,1) conv, each with its own
BatchNorm and ReLU (the S3D-ResNet of the IBM code, which also plays the R(2+1)D role).

Parameter names follow the original code (and torchvision's 2D ResNet, which is what makes
2D→3D inflation a name-for-name copy): ``conv1/bn1/conv2/bn2[/conv3/bn3]``, temporal parts
``convN_t/bnN_t``, shortcut ``downsample.0`` (conv) / ``downsample.1`` (BN).
"""
from __future__ import annotations

import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

Triple = tuple[int, int, int]


def conv3d(
    in_ch: int,
    out_ch: int,
    kernel: Triple,
    stride: Triple = (1, 1, 1),
    groups: int = 1,
) -> nn.Conv3d:
    """Bias-free Conv3d with 'same' padding (half the kernel size on every axis)."""
    padding = tuple(k // 2 for k in kernel)
    return nn.Conv3d(in_ch, out_ch, kernel, stride=stride, padding=padding, groups=groups, bias=False)


def temporal_conv(channels: int, t_stride: int, depthwise: bool) -> nn.Conv3d:
    """The (3,1,1) temporal half of a separable conv; keeps the width (no R(2+1)D expansion)."""
    return conv3d(channels, channels, (3, 1, 1), (t_stride, 1, 1), groups=channels if depthwise else 1)


class ResidualBlock3d(nn.Module):
    """What both block types share: the constructor, the projected shortcut (``downsample``) and the
    ReLU after the sum. A subclass builds its branch in ``_make_branch`` (between the constructor's
    flags and ``downsample``, so parameter names and creation order stay the original's) and runs
    it in ``branch``."""

    expansion = 1

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: Triple = (1, 1, 1),
        downsample: nn.Module | None = None,
        separable: bool = False,
        dw_t_conv: bool = False,
        expand_2plus1d: bool = False,
    ) -> None:
        super().__init__()
        self.separable = separable
        self.expand_2plus1d = expand_2plus1d
        self._make_branch(inplanes, planes, stride[0], stride[1], dw_t_conv)
        self.downsample = downsample

    def _make_branch(self, inplanes: int, planes: int, t_s: int, s: int, dw_t_conv: bool) -> None:
        raise NotImplementedError

    def branch(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        out = self.branch(x)
        identity = x if self.downsample is None else self.downsample(x)
        return F.relu(out + identity)


class BasicBlock3d(ResidualBlock3d):
    """Two 3×3 convs (depth 18/34): full 3×3×3 (I3D) or (1,3,3)+(3,1,1) pairs (separable)."""

    expansion = 1

    def _make_branch(self, inplanes: int, planes: int, t_s: int, s: int, dw_t_conv: bool) -> None:
        if self.expand_2plus1d:
            raise ValueError("BasicBlock3d: expand_2plus1d is defined for bottleneck blocks only")
        if self.separable:
            self.conv1 = conv3d(inplanes, planes, (1, 3, 3), (1, s, s))
            self.bn1 = nn.BatchNorm3d(planes)
            self.conv1_t = temporal_conv(planes, t_s, dw_t_conv)
            self.bn1_t = nn.BatchNorm3d(planes)
            self.conv2 = conv3d(planes, planes, (1, 3, 3))
            self.bn2 = nn.BatchNorm3d(planes)
            self.conv2_t = temporal_conv(planes, 1, dw_t_conv)
            self.bn2_t = nn.BatchNorm3d(planes)
        else:
            self.conv1 = conv3d(inplanes, planes, (3, 3, 3), (t_s, s, s))
            self.bn1 = nn.BatchNorm3d(planes)
            self.conv2 = conv3d(planes, planes, (3, 3, 3))
            self.bn2 = nn.BatchNorm3d(planes)

    def branch(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        if self.separable:
            out = F.relu(self.bn1_t(self.conv1_t(out)))
            out = F.relu(self.bn2(self.conv2(out)))
            return self.bn2_t(self.conv2_t(out))
        return self.bn2(self.conv2(out))


class Bottleneck3d(ResidualBlock3d):
    """1×1×1 → 3×3×3 (or (1,3,3)+(3,1,1)) → 1×1×1 (×4 width), stride on the middle conv.

    ``expand_2plus1d`` is the R(2+1)D of the SV-Mix code: a (1,3,3) conv widening to 9/4·width, a
    (3,1,1) conv back to width with no BN/ReLU between them, then ``bn2`` (no ``bn2_t``).
    """

    expansion = 4

    def _make_branch(self, inplanes: int, planes: int, t_s: int, s: int, dw_t_conv: bool) -> None:
        self.conv1 = conv3d(inplanes, planes, (1, 1, 1))
        self.bn1 = nn.BatchNorm3d(planes)
        if self.expand_2plus1d:
            inside = planes * 9 // 4
            self.conv2 = conv3d(planes, inside, (1, 3, 3), (1, s, s))
            self.conv2_t = conv3d(inside, planes, (3, 1, 1), (t_s, 1, 1))
            self.bn2 = nn.BatchNorm3d(planes)
        elif self.separable:
            self.conv2 = conv3d(planes, planes, (1, 3, 3), (1, s, s))
            self.bn2 = nn.BatchNorm3d(planes)
            self.conv2_t = temporal_conv(planes, t_s, dw_t_conv)
            self.bn2_t = nn.BatchNorm3d(planes)
        else:
            self.conv2 = conv3d(planes, planes, (3, 3, 3), (t_s, s, s))
            self.bn2 = nn.BatchNorm3d(planes)
        self.conv3 = conv3d(planes, planes * self.expansion, (1, 1, 1))
        self.bn3 = nn.BatchNorm3d(planes * self.expansion)

    def branch(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        if self.expand_2plus1d:
            out = F.relu(self.bn2(self.conv2_t(self.conv2(out))))
        else:
            out = F.relu(self.bn2(self.conv2(out)))
            if self.separable:
                out = F.relu(self.bn2_t(self.conv2_t(out)))
        return self.bn3(self.conv3(out))
