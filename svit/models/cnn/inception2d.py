"""2D Inception-v1 (GoogLeNet) for TSN / TAM video models (IBM action-recognition-pytorch, Chen et al., CVPR 2021;
github.com/IBM/action-recognition-pytorch, models/twod_models/inception_v1.py).

Built from torchvision's own ``BasicConv2d`` and ``Inception`` units (same parameter names, BN
eps 1e-3, 3x3 "5x5" branch), without auxiliary heads or ``transform_input``: inputs are already
normalised with mean 0.5 / std 0.5. Unlike the ResNets, TAM is applied to the *output* of each
unit (``tam1``..``tam5b``, the original checkpoint names), and the optional temporal pools sit
after maxpool2, maxpool3 and maxpool4. TSM's residual shift has no place in a non-residual
network, so only none (TSN) and TAM are accepted.
"""
from __future__ import annotations

import torch.nn as nn
from torch import Tensor
from torchvision.models.googlenet import BasicConv2d, Inception

from svit.models.cnn.heads import VideoClassifierHead
from svit.models.cnn.temporal_modules2d import make_temporal_module
from svit.models.cnn.temporal_pool2d import TemporalPool2d
from svit.models.cnn.video2d import Video2dNet

# (name, in, c1, c3r, c3, c5r, c5, pool_proj) per inception unit, in network order.
_INCEPTIONS = [
    ("3a", 192, 64, 96, 128, 16, 32, 32),
    ("3b", 256, 128, 128, 192, 32, 96, 64),
    ("4a", 480, 192, 96, 208, 16, 48, 64),
    ("4b", 512, 160, 112, 224, 24, 64, 64),
    ("4c", 512, 128, 128, 256, 24, 64, 64),
    ("4d", 512, 112, 144, 288, 32, 64, 64),
    ("4e", 528, 256, 160, 320, 32, 128, 128),
    ("5a", 832, 256, 160, 320, 32, 128, 128),
    ("5b", 832, 384, 192, 384, 48, 128, 128),
]
# Spatial max-pool (and, with temporal stride, temporal pool) inserted before these units.
_POOL_BEFORE = {"3a": ("maxpool2", "t_pool1"), "4a": ("maxpool3", "t_pool2"), "5a": ("maxpool4", "t_pool3")}


def _out_channels(spec: tuple) -> int:
    _, _, c1, _, c3, _, c5, pp = spec
    return c1 + c3 + c5 + pp


class InceptionV1Video(Video2dNet):
    """GoogLeNet video classifier (TSN / TAM), input ``(B, 3, T, H, W)``, logits ``(B, K)``; the
    arguments are :class:`svit.models.cnn.video2d.Video2dNet`'s (no depth)."""

    def _build(self, num_classes: int, dropout: float, pooling_method: str) -> None:
        temporal = self.temporal_spec
        if temporal.kind == "tsm":
            raise ValueError("TSM (residual shift) is defined for ResNets only, not Inception-v1")
        frames = self.num_frames

        def tam(channels: int) -> nn.Module | None:
            return make_temporal_module(temporal, frames, channels)

        self.conv1 = BasicConv2d(3, 64, kernel_size=7, stride=2, padding=3)
        self.tam1 = tam(64)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = BasicConv2d(64, 64, kernel_size=1)
        self.tam2 = tam(64)
        self.conv3 = BasicConv2d(64, 192, kernel_size=3, padding=1)
        self.tam3 = tam(192)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        self._units: list[str] = []
        for spec in _INCEPTIONS:
            name = spec[0]
            if name in _POOL_BEFORE and not self.without_t_stride:
                pool = TemporalPool2d(frames, pooling_method)
                setattr(self, _POOL_BEFORE[name][1], pool)
                frames = pool.out_frames
            setattr(self, f"inception{name}", Inception(*spec[1:]))
            setattr(self, f"tam{name}", tam(_out_channels(spec)))
            self._units.append(name)
        self.out_frames = frames
        self.fc = VideoClassifierHead(1024, num_classes, dropout)

    def forward_frames(self, x: Tensor) -> Tensor:
        """(B*T, 3, H, W) frames through the stem and the inception units (time pooled between them)."""
        x = self._tam("1", self.conv1(x))
        x = self.maxpool1(x)
        x = self._tam("2", self.conv2(x))
        x = self._tam("3", self.conv3(x))
        for name in self._units:
            if name in _POOL_BEFORE:
                spatial, temporal = _POOL_BEFORE[name]
                x = getattr(self, spatial)(x)
                if not self.without_t_stride:
                    x = getattr(self, temporal)(x)
            x = self._tam(name, self.run_stage(getattr(self, f"inception{name}"), x))
        return x

    def _tam(self, name: str, x: Tensor) -> Tensor:
        module = getattr(self, f"tam{name}")
        return module(x) if module is not None else x
