"""End to end box path of SViT's image branch: synthetic box files -> ``ssv2_frames`` item -> ``haog_nodes``.

Pins the contract whose breakage would make the box losses unlearnable while looking plausible (the
question of a GIoU that did not fall in the main job): the targets are normalised ``(cx, cy, w, h)``
of the returned (augmented) image, and the loss reads them in that same format, so the targets fed back
as predictions cost exactly 0 and boxes drawn at random cost a lot.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from svit.config.defaults import get_cfg
from svit.data.sources.ssv2_frames import ssv2_frames
from svit.data.synthetic.generate import generate_synthetic_ssv2
from svit.data.synthetic.render import SKIN
from svit.losses import build_loss
from svit.vis.drawing import clip_frames


@pytest.fixture(scope="module")
def frames_cfg(tmp_path_factory):
    root: Path = tmp_path_factory.mktemp("boxpath") / "ds"
    generate_synthetic_ssv2(str(root), num_videos=24, seed=5, num_frames=12, size=48, workers=1, progress=False)
    cfg = get_cfg()
    cfg.DATA.PATH_TO_DATA_DIR = str(root)
    cfg.DATA.TRAIN_CROP_SIZE = cfg.DATA.TEST_CROP_SIZE = 32
    cfg.DATA.TRAIN_JITTER_SCALES = [32, 48]  # crops that cut boxes, as in training
    return cfg


def _items(cfg, split: str, passes: int) -> list[dict]:
    ds = ssv2_frames(cfg, split)
    return [ds.load(i, np.random.default_rng(100 * p + i)) for p in range(passes) for i in range(len(ds))]


@pytest.mark.parametrize("split", ["train", "val"])
def test_hand_box_centre_lies_on_the_hand_pixels(frames_cfg, split):
    """The synthetic hand is a skin-coloured ellipse drawn on top: the centre of the slot-0 target box,
    read as (cx, cy), must be skin-coloured in the item's own image; read as corners it is not."""
    hits = misread_hits = n = 0
    for it in _items(frames_cfg, split, 3 if split == "train" else 1):
        if not it["haog_mask"][0]:
            continue
        img = clip_frames(it["image"][:, None], frames_cfg.DATA.MEAN, frames_cfg.DATA.STD)[0].astype(int)
        h, w = img.shape[:2]
        cx, cy, bw, bh = it["haog_boxes"][0].tolist()

        def skin_at(x: float, y: float) -> bool:
            px = img[min(h - 1, int(y * h)), min(w - 1, int(x * w))]
            return bool(np.abs(px - np.asarray(SKIN)).max() <= 40)

        n += 1
        hits += skin_at(cx, cy)
        misread_hits += skin_at((cx + bw) / 2, (cy + bh) / 2)  # the centre if the 4 numbers were x1y1x2y2
    assert n >= 3
    assert hits >= 0.9 * n, f"only {hits}/{n} hand-box centres are on skin pixels"
    assert misread_hits <= 0.5 * n


def test_targets_as_predictions_cost_zero_and_random_boxes_do_not(frames_cfg):
    items = _items(frames_cfg, "train", 1)
    batch = {
        "haog_boxes": torch.stack([it["haog_boxes"] for it in items]),
        "haog_mask": torch.stack([it["haog_mask"] for it in items]),
    }
    assert batch["haog_mask"].any()
    loss = build_loss("haog_nodes", frames_cfg)
    perfect = torch.cat((torch.zeros_like(batch["haog_boxes"][..., :1]), batch["haog_boxes"]), -1)[:, None]
    out = loss({"pred_bboxes": perfect}, batch)
    assert out["boxes_l1_loss"].item() == pytest.approx(0.0, abs=1e-6)
    assert out["boxes_giou_loss"].item() == pytest.approx(0.0, abs=1e-5)
    rand = torch.rand(perfect.shape, generator=torch.Generator().manual_seed(0))
    out = loss({"pred_bboxes": rand}, batch)
    assert out["boxes_giou_loss"].item() > 0.8 and out["boxes_l1_loss"].item() > 0.1
