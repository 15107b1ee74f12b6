"""Validation / test clips (frames kept channels-last through resize and crop) against the plain
computation: float [0,1] in (T, C, H, W) -> short side to TEST_SCALE_SIZE (bilinear, align_corners False)
-> centre crop (val) or left / centre / right crop (test, 3 crops) -> (x - mean) / std. Bitwise."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from svit.config.defaults import get_cfg
from svit.data.transforms.pipeline import ClipTransform

MEAN, STD, CROP, SCALE = [0.45, 0.40, 0.35], [0.225, 0.25, 0.20], 48, 56


def make_cfg():
    cfg = get_cfg()
    d = cfg.DATA
    d.TEST_CROP_SIZE, d.TEST_SCALE_SIZE, d.MEAN, d.STD = CROP, SCALE, MEAN, STD
    cfg.TEST.NUM_SPATIAL_CROPS = 3
    return cfg


def reference(frames: np.ndarray, index: int, num_crops: int) -> torch.Tensor:
    x = torch.from_numpy(frames).permute(0, 3, 1, 2).contiguous().float() / 255.0
    h, w = x.shape[-2:]
    oh, ow = (SCALE, round(w * SCALE / h)) if h <= w else (round(h * SCALE / w), SCALE)
    x = F.interpolate(x, size=(oh, ow), mode="bilinear", align_corners=False)
    cy, cx = math.ceil((oh - CROP) / 2), math.ceil((ow - CROP) / 2)
    if num_crops == 3:
        if ow >= oh:
            cx = [0, cx, ow - CROP][index]
        else:
            cy = [0, cy, oh - CROP][index]
    x = x[..., cy : cy + CROP, cx : cx + CROP]
    x = (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)
    return x.permute(1, 0, 2, 3)


@pytest.mark.parametrize("split,crops", [("val", 1), ("test", 3)])
@pytest.mark.parametrize("h,w", [(64, 64), (64, 80), (90, 60)])
def test_eval_frames_equal_reference(split, crops, h, w):
    transform = ClipTransform(make_cfg(), split)
    frames = np.random.default_rng(h + w).integers(0, 256, (4, h, w, 3), dtype=np.uint8)
    boxes, mask = np.zeros((4, 2, 4), np.float32), np.zeros((4, 2), bool)
    outs = []
    for index in range(crops):
        x = transform(frames, boxes, mask, 0, np.random.default_rng(0), index)[0]
        assert x.shape == (3, 4, CROP, CROP) and x.is_contiguous()
        ref = reference(frames, index, crops)
        assert torch.equal(x, ref), f"crop {index}: frames differ by {(x - ref).abs().max()}"
        outs.append(x)
    if crops == 3 and (h, w) != (64, 64):
        assert not torch.equal(outs[0], outs[2])  # the crops are really different windows
