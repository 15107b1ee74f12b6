"""3D ResNets of the IBM baselines: I3D-ResNet (ResNet3D) and S3D-ResNet (the (2+1)D ResNet).

Both share the skeleton of the IBM 3D ResNets (IBM action-recognition-pytorch, Chen et al., CVPR 2021;
github.com/IBM/action-recognition-pytorch): a 3×7×7 stem without temporal stride, a (1,3,3) spatial
max-pool, four stages whose first blocks (stages 2-4) stride by (t_s, 2, 2) with t_s = 2 unless
``without_t_stride``, and the shared video head (per-time-step dropout + FC, logits averaged over
the remaining time steps). ``separable=True`` gives S3D-ResNet: every 3×3 becomes (1,3,3)+(3,1,1).

Module names are the original's (``conv1``, ``bn1``, ``layerX.Y.*``, ``fc``), so an IBM checkpoint
loads strictly once its ``module.`` prefix is stripped, and torchvision's 2D ResNet inflates
name for name (svit.models.cnn.inflate).
"""
from __future__ import annotations

import torch.nn as nn
from torch import Tensor

from svit.models.cnn.blocks3d import BasicBlock3d, Bottleneck3d, conv3d
from svit.models.cnn.convention import CNNConvention
from svit.models.cnn.heads import VideoClassifierHead
from svit.models.cnn.init import kaiming_conv_bn_init_
from svit.models.cnn.resnet_depths import RESNET_LAYERS  # BasicBlock below depth 50, Bottleneck from 50


class ResNet3d(CNNConvention, nn.Module):
    """I3D-ResNet (``separable=False``) or S3D-ResNet (``separable=True``) on (B, 3, T, H, W)."""

    def __init__(
        self,
        depth: int = 50,
        num_classes: int = 400,
        dropout: float = 0.5,
        without_t_stride: bool = False,
        separable: bool = False,
        dw_t_conv: bool = False,
        expand_2plus1d: bool = False,
        early_stride: int = 0,
    ) -> None:
        """``expand_2plus1d`` and ``early_stride`` give the SV-Mix R(2+1)D: 9/4-width (1,3,3) convs
        (Bottleneck3d) and an ``early_stride``×7×7 stem with temporal stride ``early_stride`` and no
        temporal padding (``early_stride`` 0 keeps the IBM 3×7×7 stem)."""
        super().__init__()
        if depth not in RESNET_LAYERS:
            raise ValueError(f"ResNet3d: depth must be one of {sorted(RESNET_LAYERS)}, got {depth}")
        if dw_t_conv and not separable:
            raise ValueError("ResNet3d: dw_t_conv needs separable (S3D-ResNet) convolutions")
        if expand_2plus1d and depth < 50:
            raise ValueError(f"ResNet3d: expand_2plus1d is defined for bottleneck depths (>= 50), got {depth}")
        if early_stride < 0:
            raise ValueError(f"ResNet3d: early_stride must be >= 0, got {early_stride}")
        block = BasicBlock3d if depth < 50 else Bottleneck3d
        self.depth = depth
        self.separable = separable
        self.dw_t_conv = dw_t_conv
        self.without_t_stride = without_t_stride
        self.t_s = 1 if without_t_stride else 2
        self._inplanes = 64

        self.expand_2plus1d = expand_2plus1d
        if early_stride:
            self.conv1 = nn.Conv3d(
                3, 64, (early_stride, 7, 7), stride=(early_stride, 2, 2), padding=(0, 3, 3), bias=False
            )
        else:
            self.conv1 = nn.Conv3d(3, 64, (3, 7, 7), stride=(1, 2, 2), padding=(1, 3, 3), bias=False)
        self.bn1 = nn.BatchNorm3d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool3d((1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1))
        stages = RESNET_LAYERS[depth]
        self.layer1 = self._make_layer(block, 64, stages[0], spatial_stride=1)
        self.layer2 = self._make_layer(block, 128, stages[1], spatial_stride=2)
        self.layer3 = self._make_layer(block, 256, stages[2], spatial_stride=2)
        self.layer4 = self._make_layer(block, 512, stages[3], spatial_stride=2)
        self._init_weights()
        # Created after the conv/BN init so that its own N(0, 0.001) init is the one that counts.
        self.fc = VideoClassifierHead(512 * block.expansion, num_classes, dropout, init_std=0.001)

    def _make_layer(
        self, block: type[nn.Module], planes: int, num_blocks: int, spatial_stride: int
    ) -> nn.Sequential:
        """A stage; its first block strides (t_s, 2, 2) in stages 2-4 and projects the shortcut."""
        t_stride = self.t_s if spatial_stride == 2 else 1
        stride = (t_stride, spatial_stride, spatial_stride)
        out_ch = planes * block.expansion  # type: ignore[attr-defined]
        downsample = None
        if spatial_stride != 1 or self._inplanes != out_ch:
            downsample = nn.Sequential(
                conv3d(self._inplanes, out_ch, (1, 1, 1), stride), nn.BatchNorm3d(out_ch)
            )
        opts = dict(separable=self.separable, dw_t_conv=self.dw_t_conv)
        if self.expand_2plus1d:
            opts["expand_2plus1d"] = True
        layers = [block(self._inplanes, planes, stride, downsample, **opts)]
        self._inplanes = out_ch
        layers += [block(out_ch, planes, **opts) for _ in range(1, num_blocks)]
        return nn.Sequential(*layers)

    def _init_weights(self) -> None:
        """Kaiming-normal (fan_out) convs and BN 1/0, as the original before ImageNet inflation."""
        kaiming_conv_bn_init_(self)

    def forward_features(self, x: Tensor) -> Tensor:
        """Backbone features (B, C, T', H', W') before the head."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for stage in (self.layer1, self.layer2, self.layer3, self.layer4):
            x = self.run_stage(stage, x)
        return x

    def forward_head(self, features: Tensor) -> Tensor:
        """Classifier per remaining time step on the spatially pooled map, logits averaged."""
        return self.fc(features)
