"""AUG.NUM_SAMPLE (repeated augmentation) and AUG.COLOR_JITTER, PySlowFast semantics."""
from __future__ import annotations

import logging

import cv2
import numpy as np
import pytest
import torch
import torchvision.transforms.v2.functional as TF

from svit.data.loader import build_loader
from svit.data.sources.list_files import tsn_list
from svit.data.transforms.clip import Clip
from svit.data.transforms.color import ClipColorJitter
from svit.data.transforms.pipeline import build_clip_transform
from tests.data.conftest import make_cfg


@pytest.fixture
def frame_tree(tmp_path):
    """Four videos of 10 textured frames (labels 0, 1, 0, 1) and a TSN train list."""
    rng = np.random.default_rng(0)
    lines = []
    for i in range(4):
        d = tmp_path / "frames" / f"v{i}"
        d.mkdir(parents=True)
        for k in range(1, 11):
            cv2.imwrite(str(d / f"{k:05d}.jpg"), rng.integers(0, 255, (40, 50, 3), dtype=np.uint8))
        lines.append(f"v{i} 10 {i % 2}")
    (tmp_path / "train.txt").write_text("\n".join(lines) + "\n")
    return tmp_path


def _cfg(root, **kw):
    base = dict(DATA__FRAME_TEMPLATE="{:05d}.jpg", DATA__PATH_PREFIX=str(root / "frames"), DATA__NUM_FRAMES=3,
                LIST_DATA__TRAIN_LIST="train.txt", LIST_DATA__NUM_CLASSES=2, DATA__FRAMES_PER_SEGMENT=1,
                TRAIN__BATCH_SIZE=2, DATA_LOADER__NUM_WORKERS=0, AUG__ENABLE=True, AUG__AA_TYPE="", AUG__RE_PROB=0.0)
    base.update(kw)
    return make_cfg(root, **base)


def test_num_sample_gives_independent_clips_of_the_same_frames(frame_tree):
    cfg = _cfg(frame_tree, AUG__NUM_SAMPLE=3)
    loader = build_loader(cfg, "train", tsn_list(cfg, "train"))
    batch = next(iter(loader))
    assert batch["inputs"].shape == (2 * 3, 3, 3, 32, 32)  # 2 videos x 3 clips
    assert batch["labels"].shape == (6,) and batch["labels"].dtype == torch.int64
    idx = batch["index"].tolist()
    assert idx[0] == idx[1] == idx[2] and idx[3] == idx[4] == idx[5] and idx[0] != idx[3]
    assert batch["labels"].tolist() == [idx[0] % 2] * 3 + [idx[3] % 2] * 3
    assert batch["boxes"].shape[0] == batch["box_mask"].shape[0] == 6
    clips = batch["inputs"][:3]
    assert not torch.allclose(clips[0], clips[1]) and not torch.allclose(clips[1], clips[2])  # own crops
    # NUM_SAMPLE 1: one clip per video, as before
    single = next(iter(build_loader(_cfg(frame_tree), "train", tsn_list(_cfg(frame_tree), "train"))))
    assert single["inputs"].shape[0] == 2


def test_num_sample_flip_swap_labels_per_clip(frame_tree):
    cfg = _cfg(frame_tree, AUG__NUM_SAMPLE=8, DATA__RANDOM_FLIP=True, LIST_DATA__FLIP_SWAP_PAIRS=[[0, 1]])
    ds = tsn_list(cfg, "train")
    batch = next(iter(build_loader(cfg, "train", ds)))
    labels = batch["labels"].view(2, 8)
    assert {0, 1} <= set(labels[0].tolist())  # some of the 8 clips flipped (label swapped), some not


def test_color_jitter_same_for_every_frame():
    frames = torch.rand(4, 3, 6, 6)
    frames[2] = frames[0]
    jitter = ClipColorJitter(0.4)
    clip = Clip(frames=frames, boxes=torch.zeros(4, 1, 4), mask=torch.zeros(4, 1, dtype=torch.bool), label=0)
    out = jitter(clip, np.random.default_rng(5)).frames
    order, factors = jitter.draw(np.random.default_rng(5))
    assert sorted(order) == [0, 1, 2] and all(0.6 <= f <= 1.4 for f in factors)
    for t in range(4):  # each frame = torchvision's adjustments with the clip's order and factors
        ref = frames[t]
        for i in order:
            ref = (TF.adjust_brightness, TF.adjust_contrast, TF.adjust_saturation)[i](ref, factors[i])
        torch.testing.assert_close(out[t], ref)
    torch.testing.assert_close(out[0], out[2])
    assert not torch.allclose(out, frames)


def test_color_jitter_in_pipeline_and_when_it_cannot_act(frame_tree, caplog):
    frames = np.random.default_rng(1).integers(0, 255, (3, 40, 50, 3), dtype=np.uint8)
    frames[1] = frames[0]
    boxes, mask = np.zeros((3, 4, 4), np.float32), np.zeros((3, 4), bool)

    def run(**kw):
        t = build_clip_transform(_cfg(frame_tree, **kw), "train")
        return t(frames, boxes, mask, 0, np.random.default_rng(7))[0], t

    plain, t0 = run(AUG__COLOR_JITTER=0.0)
    jittered, t1 = run(AUG__COLOR_JITTER=0.4)
    assert t0.color_jitter is None and t1.color_jitter is not None
    assert not torch.allclose(plain, jittered)  # same crop (drawn first), other colours
    torch.testing.assert_close(jittered[:, 0], jittered[:, 1])  # identical frames stay identical
    with caplog.at_level(logging.WARNING):
        _, t2 = run(AUG__COLOR_JITTER=0.4, AUG__AA_TYPE="rand-m7-n4-mstd0.5-inc1")
    assert t2.color_jitter is None and "AUG.COLOR_JITTER 0.4 has no effect" in caplog.text
