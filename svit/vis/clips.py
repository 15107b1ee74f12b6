"""A dataset sample as pictures: de-normalised frames with its boxes and contact states drawn."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from fvcore.common.config import CfgNode

from svit.data.haog import contact_states
from svit.vis.drawing import clip_frames, draw_slot_boxes


@dataclass
class ClipPicture:
    """Frames ``(T, H, W, 3)`` uint8 with boxes drawn, and contact states ``(T, 2)`` (-1 missing)."""

    frames: np.ndarray
    contact: np.ndarray


def pixel_boxes(boxes: torch.Tensor, size: tuple[int, int]) -> np.ndarray:
    """Normalised x1y1x2y2 ``(..., 4)`` -> pixels of a ``(H, W)`` picture (inclusive last pixel)."""
    h, w = size
    scale = np.array([w - 1, h - 1, w - 1, h - 1], np.float32)
    return np.asarray(boxes, np.float32) * scale


def picture_of(cfg: CfgNode, inputs: torch.Tensor, boxes: torch.Tensor | None = None,
               mask: torch.Tensor | None = None) -> ClipPicture:
    """De-normalises ``inputs`` (C, T, H, W) by DATA.MEAN/STD/CHANNEL_ORDER and draws the boxes (T, S, 4)
    normalised, of the slots in ``mask``; contact states by svit/data/haog.py's rule (SVIT.CONTACT_RULE)."""
    frames = clip_frames(inputs, cfg.DATA.MEAN, cfg.DATA.STD, cfg.DATA.CHANNEL_ORDER)
    t, h, w = frames.shape[:3]
    contact = np.full((t, 2), -1, np.int64)
    if boxes is None or mask is None or boxes.shape[-2] < 4:
        return ClipPicture(frames, contact)
    px = pixel_boxes(boxes, (h, w))
    m = np.asarray(mask, bool)
    for k in range(min(t, len(px))):
        draw_slot_boxes(frames[k], px[k], m[k])
        contact[k] = contact_states(px[k], m[k], w, h, cfg.SVIT.CONTACT_RULE, cfg.SVIT.CONTACT_DISTANCE)
    return ClipPicture(frames, contact)


def check_train_videos(dataset, videos: Sequence[int]) -> None:
    """IndexError naming the first of ``videos`` (the tool's ``--videos``) outside the training split,
    raised before any of them is drawn."""
    for v in videos:
        if not 0 <= v < dataset.num_videos:
            raise IndexError(f"--videos {v}: the training split has {dataset.num_videos} videos")
