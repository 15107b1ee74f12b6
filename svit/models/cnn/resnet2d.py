"""2D ResNet for TSN / TSM / TAM video models (IBM action-recognition-pytorch, Chen et al., CVPR 2021;
github.com/IBM/action-recognition-pytorch, models/twod_models/resnet.py).

Torchvision's ``BasicBlock``/``Bottleneck`` cannot host a module at the start of the residual
branch, so the blocks are re-written here with torchvision's parameter names (``conv1``, ``bn1``,
``layerX.Y.downsample.0``...) so that ImageNet state dicts load directly, plus a ``tam`` slot (the
name used by IBM checkpoints) holding the temporal module: TAM, the TSM shift ("residual shift"
placement: the branch sees shifted features, the shortcut the original ones), or nothing (TSN).

Frames travel on the batch axis: the model takes ``(B, 3, T, H, W)``, runs ``(B*T, 3, H, W)``
through the 2D network (optionally pooling time after layer1..3) and averages per-frame logits.
"""
from __future__ import annotations

from typing import Any

import torch.nn as nn
from torch import Tensor

from svit.models.cnn.heads import VideoClassifierHead
from svit.models.cnn.init import kaiming_conv_bn_init_
from svit.models.cnn.resnet_depths import RESNET_LAYERS
from svit.models.cnn.temporal_modules2d import make_temporal_module
from svit.models.cnn.temporal_pool2d import TemporalPool2d
from svit.models.cnn.video2d import Video2dNet


def _conv3x3(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)


def _conv1x1(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 1, stride=stride, bias=False)


class ResidualBlock2d(nn.Module):
    """What both block types share: the temporal module at the start of the residual branch
    (``tam``), the shortcut (``downsample``) and the ReLU after the sum. A subclass builds its
    branch in ``_make_branch`` (between ``tam`` and ``downsample``, so parameter names and creation
    order stay torchvision's) and runs it in ``branch``."""

    expansion = 1

    def __init__(
        self, inplanes: int, planes: int, stride: int = 1,
        downsample: nn.Module | None = None, temporal: nn.Module | None = None,
    ) -> None:
        super().__init__()
        self.tam = temporal
        self._make_branch(inplanes, planes, stride)
        self.downsample = downsample

    def _make_branch(self, inplanes: int, planes: int, stride: int) -> None:
        raise NotImplementedError

    def branch(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.tam(x) if self.tam is not None else x
        return self.relu(self.branch(out) + identity)


class BasicBlock2d(ResidualBlock2d):
    """ResNet basic block whose residual branch starts with an optional temporal module."""

    expansion = 1

    def _make_branch(self, inplanes: int, planes: int, stride: int) -> None:
        self.conv1 = _conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = _conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)

    def branch(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        return self.bn2(self.conv2(out))


class Bottleneck2d(ResidualBlock2d):
    """ResNet v1.5 bottleneck (stride on the 3x3) with an optional temporal module first."""

    expansion = 4

    def _make_branch(self, inplanes: int, planes: int, stride: int) -> None:
        self.conv1 = _conv1x1(inplanes, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = _conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = _conv1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)

    def branch(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.bn3(self.conv3(out))


class ResNet2dVideo(Video2dNet):
    """2D ResNet-{18,34,50,101,152} video classifier (TSN / TSM / TAM): ``depth``, then the
    arguments of :class:`svit.models.cnn.video2d.Video2dNet` (``num_frames``, ``num_classes``,
    ``dropout``, ``temporal`` for every residual block, ``without_t_stride``: no temporal pooling,
    else pool time after layer1, layer2, layer3; ``pooling_method``, ``partial_bn``)."""

    def __init__(self, depth: int, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, depth=depth, **kwargs)

    def _build(self, num_classes: int, dropout: float, pooling_method: str, *, depth: int) -> None:
        if depth not in RESNET_LAYERS:
            raise ValueError(f"ResNet depth must be one of {sorted(RESNET_LAYERS)}, got {depth}")
        block = BasicBlock2d if depth < 50 else Bottleneck2d
        self.depth = depth

        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)

        frames = self.num_frames
        widths = (64, 128, 256, 512)
        for i, (width, blocks) in enumerate(zip(widths, RESNET_LAYERS[depth]), start=1):
            stride = 1 if i == 1 else 2
            setattr(self, f"layer{i}", self._make_layer(block, width, blocks, stride, frames))
            if i < 4 and not self.without_t_stride:
                pool = TemporalPool2d(frames, pooling_method)
                setattr(self, f"pool{i}", pool)
                frames = pool.out_frames
        self.out_frames = frames
        self.fc = VideoClassifierHead(512 * block.expansion, num_classes, dropout)
        self._init_weights()

    def _make_layer(
        self, block: type[nn.Module], planes: int, blocks: int, stride: int, frames: int
    ) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                _conv1x1(self.inplanes, planes * block.expansion, stride),
                nn.BatchNorm2d(planes * block.expansion),
            )
        layers = []
        for j in range(blocks):
            temporal = make_temporal_module(self.temporal_spec, frames, self.inplanes)
            layers.append(
                block(self.inplanes, planes, stride if j == 0 else 1,
                      downsample if j == 0 else None, temporal)
            )
            self.inplanes = planes * block.expansion
        return nn.Sequential(*layers)

    def _init_weights(self) -> None:
        """Kaiming-normal (fan_out) convs incl. TAM convs, BN 1/0; the FC keeps nn.Linear init."""
        kaiming_conv_bn_init_(self)

    def forward_frames(self, x: Tensor) -> Tensor:
        """(B*T, 3, H, W) frames through the stem and the four stages (time pooled between them)."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for i in range(1, 5):
            x = self.run_stage(getattr(self, f"layer{i}"), x)
            if i < 4 and not self.without_t_stride:
                x = getattr(self, f"pool{i}")(x)
        return x
