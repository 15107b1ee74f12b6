"""Convolution MACs of the 2D models equal benchmark_mini.md's FLOPs column (spec §10 rule:
conv multiply-accumulates only, TAM convs included, one 224x224 clip). Shapes are computed on the
``meta`` device, so no arithmetic is run."""
from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from svit.config import get_cfg
from svit.models import build_model


def conv_macs(model: nn.Module, frames: int, size: int = 224) -> int:
    total = 0

    def hook(m: nn.Conv2d, _inp, out: torch.Tensor) -> None:
        nonlocal total
        total += out.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.Conv2d)]
    model = model.to("meta").eval()
    with torch.no_grad():
        model(torch.empty(1, 3, frames, size, size, device="meta"))
    for h in handles:
        h.remove()
    return total


# (model, backbone, depth, frames, temporal pooling, FLOPs from the table)
ROWS = [
    ("TSN", "resnet", 18, 8, False, 14_508_490_752),
    ("TSN", "resnet", 18, 8, True, 7_520_780_288),
    ("TAM", "resnet", 18, 8, False, 14_530_768_896),
    ("TAM", "resnet", 18, 16, True, 15_070_311_424),
    ("TSN", "resnet", 50, 8, False, 32_697_090_048),
    ("TAM", "resnet", 50, 8, True, 14_213_054_464),
    ("TAM", "resnet", 50, 32, False, 131_327_852_544),
    ("TSN", "inception_v1", 50, 8, False, 11_978_817_536),
    ("TSN", "inception_v1", 50, 8, True, 6_521_725_952),
    ("TAM", "inception_v1", 50, 8, False, 12_047_006_720),
    ("TAM", "inception_v1", 50, 16, True, 13_141_727_872),
]


@pytest.mark.parametrize("name,backbone,depth,frames,pooled,expected", ROWS)
def test_conv_macs_match_table(name, backbone, depth, frames, pooled, expected) -> None:
    cfg = get_cfg()
    cfg.MODEL.MODEL_NAME, cfg.MODEL.NUM_CLASSES = name, 87
    cfg.CNN.BACKBONE, cfg.CNN.DEPTH, cfg.DATA.NUM_FRAMES = backbone, depth, frames
    cfg.CNN.WITHOUT_T_STRIDE = not pooled
    assert conv_macs(build_model(cfg), frames) == expected
