"""ImageNet init of the SV-Mix R(2+1)D (ResNet3d ``expand_2plus1d``): 2D weights placed so the
network starts as the 2D ResNet applied per frame.

Every bottleneck's 3×3 kernel (O, I, 3, 3) becomes the (1,3,3) conv to 9/4·O channels with the 2D
filters in the middle rows (5O/8 zero filters on each side), and the (3,1,1) conv back to O channels
starts as the identity on those middle channels (centre tap 1, all else 0). The ``early_stride``×7×7
stem holds the 2D kernel on one temporal tap (index early_stride // 2), zeros elsewhere. The result
is a 2D-named state dict that ``inflate_model_from_2d`` then copies/inflates name for name.
"""
from __future__ import annotations

import re

import torch
from torch import Tensor

_BLOCK_CONV2 = re.compile(r"^(layer\d+\.\d+\.)conv2\.weight$")


def expand_2plus1d_state_2d(state_2d: dict[str, Tensor], early_stride: int) -> dict[str, Tensor]:
    """Rewrites a 2D ResNet (bottleneck) state dict for the expanded R(2+1)D; other keys unchanged."""
    out: dict[str, Tensor] = {}
    for key, value in state_2d.items():
        m = _BLOCK_CONV2.match(key)
        if m and value.dim() == 4 and value.shape[-2:] == (3, 3):
            o = value.shape[0]
            pad = o * 5 // 8
            zeros = value.new_zeros(pad, *value.shape[1:])
            out[key] = torch.cat([zeros, value, zeros], dim=0)
            temporal = value.new_zeros(o, o + 2 * pad, 3, 1, 1)
            temporal[torch.arange(o), pad + torch.arange(o), 1] = 1.0
            out[m.group(1) + "conv2_t.weight"] = temporal
        elif key == "conv1.weight" and value.dim() == 4 and early_stride > 0:
            stem = value.new_zeros(value.shape[0], value.shape[1], early_stride, *value.shape[2:])
            stem[:, :, early_stride // 2] = value
            out[key] = stem
        else:
            out[key] = value
    return out
