"""Parameter counts of the 2D models equal the originals' (spec §10, §16 tables, fixtures)."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from svit.config import get_cfg, load_config
from svit.models import build_model

REPO = Path(__file__).resolve().parents[2]


def _count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# (model, backbone, depth, classes, expected) — benchmark_mini.md rows (87 / 200 classes),
# spec §10 (174 / 400 classes) and the fixtures' originals (11 classes).
ROWS = [
    ("TSN", "resnet", 18, 11, 11_182_155),
    ("TAM", "resnet", 50, 11, 23_569_931),
    ("TSN", "resnet", 18, 87, 11_221_143),
    ("TAM", "resnet", 18, 87, 11_225_559),
    ("TSN", "resnet", 18, 200, 11_279_112),
    ("TAM", "resnet", 18, 200, 11_283_528),
    ("TSN", "resnet", 50, 200, 23_917_832),
    ("TAM", "resnet", 50, 200, 23_957_192),
    ("TSN", "resnet", 50, 400, 24_327_632),
    ("TAM", "resnet", 50, 400, 24_366_992),
    ("TSN", "resnet", 50, 174, 23_864_558),
    ("TAM", "resnet", 50, 174, 23_903_918),
    ("TAM", "resnet", 101, 400, 43_411_344),
    ("TAM", "resnet", 101, 174, 42_948_270),
    ("TSN", "inception_v1", 50, 87, 5_689_079),
    ("TAM", "inception_v1", 50, 87, 5_706_503),
    ("TSN", "inception_v1", 50, 200, 5_804_904),
    ("TAM", "inception_v1", 50, 200, 5_822_328),
    # TSM's shift has no parameters: same size as TSN.
    ("TSM", "resnet", 50, 87, 23_686_295),
]


@pytest.mark.parametrize("name,backbone,depth,classes,expected", ROWS)
def test_table_rows(name: str, backbone: str, depth: int, classes: int, expected: int) -> None:
    cfg = get_cfg()
    cfg.MODEL.MODEL_NAME, cfg.MODEL.NUM_CLASSES = name, classes
    cfg.CNN.BACKBONE, cfg.CNN.DEPTH, cfg.DATA.NUM_FRAMES = backbone, depth, 8
    assert _count(build_model(cfg)) == expected


@pytest.mark.parametrize(
    "config,expected",
    [
        ("configs/cnn/mini_ssv2/tsn_r50_f8.yaml", 23_686_295),
        ("configs/cnn/mini_ssv2/tam_r50_f8.yaml", 23_725_655),
        ("configs/cnn/mini_ssv2/tsn_inception_f8.yaml", 5_689_079),
        ("configs/cnn/mini_ssv2/tam_inception_f32.yaml", 5_706_503),
        ("configs/cnn/mini_k400/tam_r50_f16.yaml", 23_957_192),
    ],
)
def test_config_sizes(config: str, expected: int) -> None:
    cfg = load_config(str(REPO / config))
    assert _count(build_model(cfg)) == expected


def test_tam_adds_three_weights_per_channel_per_insertion() -> None:
    """Spec §3: TAM adds +39,360 (ResNet-50) and +17,424 (Inception-v1) in depthwise mode."""
    sizes = {}
    for name in ("TSN", "TAM"):
        for backbone in ("resnet", "inception_v1"):
            cfg = get_cfg()
            cfg.MODEL.MODEL_NAME, cfg.CNN.BACKBONE, cfg.CNN.DEPTH = name, backbone, 50
            sizes[name, backbone] = _count(build_model(cfg))
    assert sizes["TAM", "resnet"] - sizes["TSN", "resnet"] == 39_360
    assert sizes["TAM", "inception_v1"] - sizes["TSN", "inception_v1"] == 17_424
