"""H2CN backbone: a ResNet whose bottlenecks carry a TSM shift and a CMCB, fed by two stems.

The key frame of each segment goes through the usual 7x7/2 conv (with a bias, as in the original),
BN, ReLU and 3x3/2 max-pool; the snippet's frame-level motion map (``FrameMotionBranch``) is resized
to that map (nearest) and the two are averaged with fixed 0.5/0.5 weights. Every bottleneck then
shifts 1/8 + 1/8 of its input channels across segments on the residual branch (TSM) and gates the
channels after its first 1x1 conv with a CMCB.

Module names follow torchvision's ResNet (``conv1``, ``bn1``, ``layerK.i.conv1`` ... and
``downsample.0/1``) so an ImageNet state dict maps onto the backbone one to one.
"""
from __future__ import annotations

import math

import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from svit.models.cnn.temporal_shift import temporal_shift
from svit.models.h2cn.cmcb import ClipMotionBlock
from svit.models.h2cn.motion import FrameMotionBranch

# Bottleneck blocks per stage for the supported depths (ResNet v1 bottleneck layouts).
STAGE_BLOCKS: dict[int, list[int]] = {26: [2, 2, 2, 2], 50: [3, 4, 6, 3], 101: [3, 4, 23, 3], 152: [3, 8, 36, 3]}


class H2CNBottleneck(nn.Module):
    """ResNet v1 bottleneck (stride on the 3x3) + TSM shift on the residual input + CMCB gate."""

    expansion = 4

    def __init__(
        self,
        inplanes: int,
        planes: int,
        num_segments: int,
        stride: int = 1,
        shift_div: int = 8,
        reduction: int = 16,
    ) -> None:
        super().__init__()
        self.num_segments = num_segments
        self.shift_div = shift_div
        self.conv1 = nn.Conv2d(inplanes, planes, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.cmcb = ClipMotionBlock(planes, num_segments, reduction)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * self.expansion, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.downsample: nn.Module | None = None
        if stride != 1 or inplanes != planes * self.expansion:
            # The original's projection conv has a bias (not in ImageNet weights: default init).
            self.downsample = nn.Sequential(
                nn.Conv2d(inplanes, planes * self.expansion, kernel_size=1, stride=stride, bias=True),
                nn.BatchNorm2d(planes * self.expansion),
            )

    def forward(self, x: Tensor) -> Tensor:
        out = temporal_shift(x, self.num_segments, self.shift_div)
        out = F.relu(self.bn1(self.conv1(out)))
        out = self.cmcb(out)
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)
        return F.relu(out + identity)


class H2CNBackbone(nn.Module):
    """``(key (N*T, 3, H, W), snippets (N*T, L, 3, H, W))`` -> pooled features ``(N*T, 8*width)``
    (``stem`` + ``stages`` give the map before pooling).

    Args:
        num_segments: T (baked into the shift and the CMCBs).
        depth: 26, 50, 101 or 152 (bottleneck ResNets).
        base_width: stem / first-stage width (64 for the real model; smaller for smoke tests).
        snippet_len: frames per segment seen by the motion branch (5).
        shift_div: TSM fold divisor (8: 1/8 of the channels each way).
        reduction: CMCB squeeze ratio (16).
        motion_weight: fusion weight of the motion stem (key frame gets ``1 - motion_weight``).
    """

    def __init__(
        self,
        num_segments: int,
        depth: int = 50,
        base_width: int = 64,
        snippet_len: int = 5,
        shift_div: int = 8,
        reduction: int = 16,
        motion_weight: float = 0.5,
    ) -> None:
        super().__init__()
        if depth not in STAGE_BLOCKS:
            raise ValueError(f"H2CN depth must be one of {sorted(STAGE_BLOCKS)}, got {depth}")
        self.num_segments = num_segments
        self.motion_weight = motion_weight
        self.motion = FrameMotionBranch(snippet_len, 3, base_width)
        self.conv1 = nn.Conv2d(3, base_width, kernel_size=7, stride=2, padding=3, bias=True)
        self.bn1 = nn.BatchNorm2d(base_width)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        inplanes = base_width
        for stage, blocks in enumerate(STAGE_BLOCKS[depth]):
            planes = base_width * 2**stage
            layers = []
            for i in range(blocks):
                stride = 2 if (stage > 0 and i == 0) else 1
                layers.append(H2CNBottleneck(inplanes, planes, num_segments, stride, shift_div, reduction))
                inplanes = planes * H2CNBottleneck.expansion
            self.add_module(f"layer{stage + 1}", nn.Sequential(*layers))
        self.out_channels = inplanes
        self._init_resnet()
        self.motion.init_stem_from_rgb_conv(self.conv1.weight)

    def _init_resnet(self) -> None:
        """Original ResNet init: Conv2d ~ N(0, sqrt(2 / (k*k*C_out))), BN = (1, 0); motion branch
        and the hourglass Conv3d kernels keep their own inits; conv biases keep PyTorch's default."""
        for name, m in self.named_modules():
            if name.startswith("motion"):
                continue
            if isinstance(m, nn.Conv2d):
                n = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                nn.init.normal_(m.weight, 0.0, math.sqrt(2.0 / n))
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def stem(self, key: Tensor, snippets: Tensor) -> Tensor:
        """Key-frame stem fused with the motion stem: ``(N*T, width, H/4, W/4)``."""
        x = self.maxpool(F.relu(self.bn1(self.conv1(key))))
        motion = F.interpolate(self.motion(snippets), size=x.shape[-2:], mode="nearest")
        return (1.0 - self.motion_weight) * x + self.motion_weight * motion

    def stages(self) -> tuple[nn.Module, ...]:
        """The four residual stages, in order (run one by one so they can be checkpointed)."""
        return (self.layer1, self.layer2, self.layer3, self.layer4)

    def forward(self, key: Tensor, snippets: Tensor) -> Tensor:
        x = self.stem(key, snippets)
        for stage in self.stages():
            x = stage(x)
        return x.mean(dim=(2, 3))
