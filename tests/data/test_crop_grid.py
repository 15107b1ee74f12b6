"""TEST.CROP_GRID: IBM's 3-crop grid (GroupOverSample) for the IBM configs, PySlowFast's otherwise."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from svit.config import load_config
from svit.data.transforms.clip import Clip
from svit.data.transforms.crop_grid import grid_spatial_crop, ibm_offsets
from svit.data.transforms.pipeline import build_clip_transform
from tests.data.conftest import make_cfg


def _positions(h: int, w: int) -> Clip:
    """Frames whose pixel values encode their coordinates: channel 0 = y, channel 1 = x."""
    ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    frame = torch.stack([ys, xs, torch.zeros_like(ys)]).float()
    none = torch.zeros(1, 1, dtype=torch.bool)
    return Clip(frames=frame.unsqueeze(0), boxes=torch.zeros(1, 1, 4), mask=none, label=0)


def _origin(clip: Clip) -> tuple[int, int]:
    return int(clip.frames[0, 0, 0, 0]), int(clip.frames[0, 1, 0, 0])


def test_ibm_offsets_follow_group_over_sample():
    # 256x341 frame (short side 256), 224 crops: w_step = (341-224)//4 = 29, h_step = (256-224)//4 = 8
    clip = _positions(256, 341)
    ibm = [_origin(grid_spatial_crop(clip, 224, i, 3, "ibm")) for i in range(3)]
    assert ibm == [(16, 0), (16, 58), (16, 116)]  # left, centre, right (IBM lists left, right, centre)
    slowfast = [_origin(grid_spatial_crop(clip, 224, i, 3, "slowfast")) for i in range(3)]
    assert slowfast == [(16, 0), (16, 59), (16, 117)]  # ceil((341-224)/2) = 59 and 341-224 = 117
    # tall frames: top / centre / bottom
    assert [ibm_offsets(341, 256, 224, i, 3) for i in range(3)] == [(0, 16), (58, 16), (116, 16)]
    # one crop: torchvision CenterCrop's round((L - S) / 2)
    assert ibm_offsets(256, 341, 224, 0, 1) == (16, 58)  # round(58.5) = 58 (Python rounds half to even)
    with pytest.raises(ValueError, match="CROP_GRID"):
        grid_spatial_crop(clip, 224, 0, 3, "tsn")


def test_ibm_configs_choose_the_ibm_grid_and_the_transform_uses_it(tmp_path):
    cfg = load_config("configs/cnn/ssv2/i3d_r50_f8.yaml")
    assert cfg.TEST.CROP_GRID == "ibm" and cfg.TEST.NUM_SPATIAL_CROPS == 3
    assert load_config("configs/ssv2.yaml").TEST.CROP_GRID == "slowfast"
    frames = np.zeros((1, 40, 57, 3), np.uint8)
    frames[0, :, :, 0] = np.arange(57, dtype=np.uint8)[None, :] * 4  # red encodes x
    boxes, mask = np.zeros((1, 1, 4), np.float32), np.zeros((1, 1), bool)
    xs = {}
    for grid in ("ibm", "slowfast"):
        c = make_cfg(tmp_path, TEST__CROP_GRID=grid, TEST__NUM_SPATIAL_CROPS=3, DATA__TEST_CROP_SIZE=32,
                     DATA__TEST_SCALE_SIZE=40, DATA__MEAN=[0.0] * 3, DATA__STD=[1.0] * 3)
        t = build_clip_transform(c, "test")
        xs[grid] = [round(float(t(frames, boxes, mask, 0, np.random.default_rng(0), i)[0][0, 0, 0, 0]) * 255 / 4)
                    for i in range(3)]
    assert xs["ibm"] == [0, 12, 24] and xs["slowfast"] == [0, 13, 25]  # (57-32)//4 = 6 steps vs ceil/end
