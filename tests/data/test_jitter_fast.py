"""The cheap "jitter" training path (svit/data/transforms/jitter_fast.py) against the plain computation
its docstrings define: float [0,1] -> short side to U{jitter} (bilinear, align_corners False) -> random
square crop -> [flip] -> (x - mean) / std, boxes scaled, shifted, clipped and normalised by the crop.
Frames must be bitwise equal, boxes / masks / labels equal, for clips (T = 8) and co-training frames
(T = 1), both ends of the jitter range, both channel orders and with flips."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from svit.config.defaults import get_cfg
from svit.data.transforms.pipeline import ClipTransform

MEAN, STD = [0.45, 0.40, 0.35], [0.225, 0.25, 0.20]
JITTER, CROP, MIN_BOX = (48, 56), 48, 0.05
SWAP = {3: 4, 4: 3}


def make_cfg(order: str = "RGB", flip: bool = False):
    cfg = get_cfg()
    d = cfg.DATA
    d.TRAIN_CROP_MODE, d.TRAIN_JITTER_SCALES, d.TRAIN_JITTER_SCALES_RELATIVE = "jitter", list(JITTER), []
    d.TRAIN_CROP_SIZE, d.MEAN, d.STD, d.CHANNEL_ORDER, d.RANDOM_FLIP = CROP, MEAN, STD, order, flip
    cfg.SVIT.MIN_BOX_SIZE = MIN_BOX
    cfg.AUG.ENABLE = False
    return cfg


def make_input(seed: int, t: int, h: int, w: int):
    g = np.random.default_rng(seed)
    frames = g.integers(0, 256, (t, h, w, 3), dtype=np.uint8)
    x1 = g.uniform(-8, w - 4, (t, 4)).astype(np.float32)
    y1 = g.uniform(-8, h - 4, (t, 4)).astype(np.float32)
    boxes = np.stack([x1, y1, x1 + g.uniform(0.5, 30, (t, 4)), y1 + g.uniform(0.5, 30, (t, 4))], -1)
    mask = g.random((t, 4)) < 0.8
    return frames, boxes.astype(np.float32), mask


def reference(frames, boxes, mask, label, rng, order, flip):
    """The straightforward computation, in the order the pipeline's docstring gives."""
    x = torch.from_numpy(frames).permute(0, 3, 1, 2).contiguous().float() / 255.0  # (T, C, H, W)
    b = torch.from_numpy(boxes) * torch.from_numpy(mask)[..., None]
    m = torch.from_numpy(mask).clone()
    h, w = x.shape[-2:]
    size = int(rng.integers(JITTER[0], JITTER[1] + 1))
    oh, ow = (size, max(1, round(w * size / h))) if h <= w else (max(1, round(h * size / w)), size)
    x = F.interpolate(x, size=(oh, ow), mode="bilinear", align_corners=False)
    b = b * torch.tensor([ow / w, oh / h, ow / w, oh / h])
    y0, x0 = int(rng.integers(0, oh - CROP + 1)), int(rng.integers(0, ow - CROP + 1))
    x = x[:, :, y0 : y0 + CROP, x0 : x0 + CROP]
    b = b - torch.tensor([x0, y0, x0, y0], dtype=torch.float32)
    b[..., 0::2], b[..., 1::2] = b[..., 0::2].clamp(0, CROP), b[..., 1::2].clamp(0, CROP)
    m &= ((b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])) > 0
    b[~m] = 0
    if flip and rng.random() < 0.5:
        x = x.flip(-1)
        b = torch.stack([CROP - b[..., 2], b[..., 1], CROP - b[..., 0], b[..., 3]], -1) * m[..., None]
        label = SWAP.get(label, label)
    if order == "BGR":
        x = x.flip(1)
    x = (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)
    b = (b / CROP).clamp(0, 1)
    m &= ((b[..., 2] - b[..., 0]) > MIN_BOX) & ((b[..., 3] - b[..., 1]) > MIN_BOX)
    return x.permute(1, 0, 2, 3), b * m[..., None], m, label, size


@pytest.mark.parametrize("order,flip", [("RGB", False), ("BGR", True)])
@pytest.mark.parametrize("t,h,w", [(8, 64, 64), (1, 64, 64), (4, 60, 80)])
def test_jitter_path_equals_reference(order, flip, t, h, w):
    transform = ClipTransform(make_cfg(order, flip), "train", SWAP)
    assert transform.jitter_path is not None  # the configuration the CPU job trains with takes the cheap path
    sizes, flipped, kept, dropped = set(), 0, 0, 0
    for seed in range(40):
        frames, boxes, mask = make_input(seed, t, h, w)
        label = 3 if seed % 2 else 7
        out = transform(frames, boxes, mask, label, np.random.default_rng(seed))
        ref_x, ref_b, ref_m, ref_label, size = reference(frames, boxes, mask, label, np.random.default_rng(seed),
                                                         order, flip)
        sizes.add(size)
        flipped += ref_label != label
        assert out[0].shape == (3, t, CROP, CROP) and out[0].is_contiguous()
        assert torch.equal(out[0], ref_x), f"seed {seed}: frames differ by {(out[0] - ref_x).abs().max()}"
        assert torch.equal(out[1], ref_b) and torch.equal(out[2], ref_m) and out[3] == ref_label, f"seed {seed}"
        kept, dropped = kept + int(out[2].sum()), dropped + int((torch.from_numpy(mask) & ~out[2]).sum())
    assert {JITTER[0], JITTER[1]} <= sizes  # both ends of the jitter range
    assert kept > 0 and dropped > 0  # boxes kept and boxes cropped away / too small: the box arithmetic ran
    assert flipped > 0 or not flip


def test_general_path_gives_the_same_sample():
    """The general path (still used with RandAugment / colour jitter) agrees with the cheap one."""
    cheap = ClipTransform(make_cfg("RGB", True), "train", SWAP)
    general = ClipTransform(make_cfg("RGB", True), "train", SWAP)
    general.jitter_path = None
    for seed in range(10):
        frames, boxes, mask = make_input(seed, 8, 64, 64)
        a = cheap(frames, boxes, mask, 3, np.random.default_rng(seed))
        b = general(frames, boxes, mask, 3, np.random.default_rng(seed))
        assert all(torch.equal(x, y) for x, y in zip(a[:3], b[:3])) and a[3] == b[3]


def test_inputs_left_untouched():
    """The caller's arrays (cached, read-only box arrays) are not written to."""
    frames, boxes, mask = make_input(0, 8, 64, 64)
    boxes.setflags(write=False)
    mask.setflags(write=False)
    before = boxes.copy(), mask.copy()
    ClipTransform(make_cfg(), "train")(frames, boxes, mask, 0, np.random.default_rng(0))
    assert np.array_equal(boxes, before[0]) and np.array_equal(mask, before[1])
