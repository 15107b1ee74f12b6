"""I3D and S3D on Inception-v1 (GoogLeNet), as in the IBM baselines (IBM action-recognition-pytorch, Chen et al., CVPR
2021; github.com/IBM/action-recognition-pytorch, models/threed_models/i3d.py and s3d.py).

I3D inflates every conv of torchvision's GoogLeNet to 3D; S3D keeps a full (3,7,7) stem but makes
conv3 and the two 3×3 convs of every inception module separable: (1,3,3) → BN → ReLU → (3,1,1)
with bias → BN → ReLU. Neither strides in time in the stem: temporal down-sampling happens only
in the three stage pools (stride t_s = 2, or 1 with ``without_t_stride``). S3D's last stage pool
is 2×2×2 without padding, so it sees T − 1 frames without temporal stride.

Every conv unit is Conv3d (no bias) → BatchNorm3d (eps 1e-3) → ReLU, named ``conv``/``bn`` (and
``conv_t``/``bn_t``) inside torchvision's GoogLeNet module names, so both IBM checkpoints and
ImageNet GoogLeNet weights (through inflation) map name for name.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from svit.models.cnn.convention import CNNConvention
from svit.models.cnn.heads import VideoClassifierHead
from svit.models.cnn.init import kaiming_conv_bn_init_

IntOr3 = int | tuple[int, int, int]

# (in, 1x1, 3x3 reduce, 3x3, "5x5" reduce, "5x5" (a 3x3 in torchvision), pool projection).
INCEPTION_V1_CFG: dict[str, tuple[int, ...]] = {
    "inception3a": (192, 64, 96, 128, 16, 32, 32),
    "inception3b": (256, 128, 128, 192, 32, 96, 64),
    "inception4a": (480, 192, 96, 208, 16, 48, 64),
    "inception4b": (512, 160, 112, 224, 24, 64, 64),
    "inception4c": (512, 128, 128, 256, 24, 64, 64),
    "inception4d": (512, 112, 144, 288, 32, 64, 64),
    "inception4e": (528, 256, 160, 320, 32, 128, 128),
    "inception5a": (832, 256, 160, 320, 32, 128, 128),
    "inception5b": (832, 384, 192, 384, 48, 128, 128),
}


class ConvUnit3d(nn.Module):
    """Conv3d (no bias) → BatchNorm3d(eps 1e-3) → ReLU."""

    def __init__(self, in_ch: int, out_ch: int, kernel: IntOr3, stride: IntOr3 = 1, padding: IntOr3 = 0):
        super().__init__()
        self.conv = nn.Conv3d(in_ch, out_ch, kernel, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm3d(out_ch, eps=1e-3)

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(self.bn(self.conv(x)))


class SeparableUnit3d(nn.Module):
    """S3D's 3×3×3 replacement: (1,3,3) conv unit, then a (3,1,1) conv *with bias* → BN → ReLU."""

    def __init__(self, in_ch: int, out_ch: int, dw_t_conv: bool = False):
        super().__init__()
        self.conv = nn.Conv3d(in_ch, out_ch, (1, 3, 3), padding=(0, 1, 1), bias=False)
        self.bn = nn.BatchNorm3d(out_ch, eps=1e-3)
        groups = out_ch if dw_t_conv else 1
        self.conv_t = nn.Conv3d(out_ch, out_ch, (3, 1, 1), padding=(1, 0, 0), groups=groups, bias=True)
        self.bn_t = nn.BatchNorm3d(out_ch, eps=1e-3)

    def forward(self, x: Tensor) -> Tensor:
        x = F.relu(self.bn(self.conv(x)))
        return F.relu(self.bn_t(self.conv_t(x)))


def _unit3x3(in_ch: int, out_ch: int, separable: bool, dw_t_conv: bool) -> nn.Module:
    """A 'same'-padded 3×3×3 unit: full (I3D) or separable (S3D)."""
    if separable:
        return SeparableUnit3d(in_ch, out_ch, dw_t_conv)
    return ConvUnit3d(in_ch, out_ch, 3, padding=1)


class Inception3d(nn.Module):
    """Four parallel branches concatenated on channels: 1×1; 1×1→3×3; 1×1→3×3; max-pool→1×1."""

    def __init__(self, cfg: tuple[int, ...], separable: bool = False, dw_t_conv: bool = False):
        super().__init__()
        in_ch, c1, c3r, c3, c5r, c5, pool_proj = cfg
        self.branch1 = ConvUnit3d(in_ch, c1, 1)
        self.branch2 = nn.Sequential(ConvUnit3d(in_ch, c3r, 1), _unit3x3(c3r, c3, separable, dw_t_conv))
        self.branch3 = nn.Sequential(ConvUnit3d(in_ch, c5r, 1), _unit3x3(c5r, c5, separable, dw_t_conv))
        self.branch4 = nn.Sequential(
            nn.MaxPool3d(3, stride=1, padding=1, ceil_mode=True), ConvUnit3d(in_ch, pool_proj, 1)
        )

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class InceptionV1_3d(CNNConvention, nn.Module):
    """I3D (``separable=False``) or S3D (``separable=True``) Inception-v1 on (B, 3, T, H, W).

    ``pooling_method`` ("max"/"avg") switches the stem and all three stage pools, as the original
    does (the pool inside each inception branch stays max).
    """

    def __init__(
        self,
        num_classes: int = 400,
        dropout: float = 0.5,
        without_t_stride: bool = False,
        pooling_method: str = "max",
        separable: bool = False,
        dw_t_conv: bool = False,
    ) -> None:
        super().__init__()
        if pooling_method not in ("max", "avg"):
            raise ValueError(f"InceptionV1_3d: pooling_method must be max or avg, got {pooling_method!r}")
        if dw_t_conv and not separable:
            raise ValueError("InceptionV1_3d: dw_t_conv needs the separable (S3D) variant")
        self.separable = separable
        self.without_t_stride = without_t_stride
        self.pooling_method = pooling_method
        self.t_s = 1 if without_t_stride else 2
        if separable:
            self.conv1 = ConvUnit3d(3, 64, (3, 7, 7), stride=(1, 2, 2), padding=(1, 3, 3))
        else:
            self.conv1 = ConvUnit3d(3, 64, 7, stride=(1, 2, 2), padding=3)
        self.conv2 = ConvUnit3d(64, 64, 1)
        self.conv3 = _unit3x3(64, 192, separable, dw_t_conv)
        for name, block_cfg in INCEPTION_V1_CFG.items():
            self.add_module(name, Inception3d(block_cfg, separable, dw_t_conv))
        self._init_weights()
        self.fc = VideoClassifierHead(1024, num_classes, dropout, init_std=0.001)

    def _init_weights(self) -> None:
        """Kaiming-normal (fan_out) conv weights, BN 1/0 (S3D temporal biases keep their default)."""
        kaiming_conv_bn_init_(self)

    def _pool(self, x: Tensor, kernel: IntOr3, stride: IntOr3, padding: IntOr3) -> Tensor:
        if self.pooling_method == "avg":
            return F.avg_pool3d(x, kernel, stride, padding)
        return F.max_pool3d(x, kernel, stride, padding)

    def forward_features(self, x: Tensor) -> Tensor:
        """Backbone features (B, 1024, T', H', W') before the head."""
        stage_stride = (self.t_s, 2, 2)
        x = self._pool(self.conv1(x), (1, 3, 3), (1, 2, 2), (0, 1, 1))
        x = self.conv3(self.conv2(x))
        x = self._pool(x, 3, stage_stride, 1)
        x = self.run_stage(self.inception3b, self.run_stage(self.inception3a, x))
        x = self._pool(x, 3, stage_stride, 1)
        for name in ("inception4a", "inception4b", "inception4c", "inception4d", "inception4e"):
            x = self.run_stage(getattr(self, name), x)
        if self.separable:
            x = self._pool(x, 2, stage_stride, 0)
        else:
            x = self._pool(x, 3, stage_stride, 1)
        return self.run_stage(self.inception5b, self.run_stage(self.inception5a, x))

    def forward_head(self, features: Tensor) -> Tensor:
        """Classifier per remaining time step on the spatially pooled map, logits averaged."""
        return self.fc(features)
