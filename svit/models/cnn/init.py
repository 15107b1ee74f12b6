"""The weight initialisation every IBM CNN baseline starts from (before ImageNet weights)."""
from __future__ import annotations

import torch.nn as nn

_CONVS = (nn.Conv2d, nn.Conv3d)
_NORMS = (nn.BatchNorm2d, nn.BatchNorm3d)


def kaiming_conv_bn_init_(module: nn.Module) -> None:
    """Kaiming-normal (fan_out, ReLU) conv weights and BN weight 1 / bias 0, in place.

    Conv biases (S3D temporal convs) and linear layers keep PyTorch's defaults, as in the originals.
    """
    for m in module.modules():
        if isinstance(m, _CONVS):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, _NORMS):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
