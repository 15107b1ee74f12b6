"""The "jitter" training crop of ``ClipTransform`` without RandAugment or colour jitter, done cheaply.

It is the training path of the embedded CPU job (clips and co-training frames), where a clip is small
(8 x 64 x 64) and the general path's cost was layout copies and dozens of tiny torch ops on the boxes.
It returns exactly (bitwise) what the general path returns for the same ``rng``, because it does the
same arithmetic in the same order and draws the same random numbers in the same order:

* frames: uint8 ``(T, H, W, C)`` -> float32 -> ``/ 255`` in that channels-last layout (one pass, no
  permute copy), bilinear resize of the channels-last view (PyTorch's channels-last kernel gives the
  same numbers as the contiguous one: tests/data/test_jitter_fast.py), the crop as a view, then
  ``(x - mean) / std`` written straight into the ``(C, T, H, W)`` output (the layout copy and the
  normalisation in one pass);
* boxes and masks: the general path's float32 operations (scale, shift, clip to the window, flip,
  normalise by the frame size) in NumPy, whose elementwise float32 IEEE arithmetic equals torch's,
  at a fraction of torch's per-call overhead on ``(T, 4, 4)`` arrays.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from svit.data.transforms.geometry import short_side_size


def clip_boxes_np(boxes: np.ndarray, mask: np.ndarray, width: float, height: float) -> tuple[np.ndarray, np.ndarray]:
    """``svit.data.transforms.clip.clip_boxes`` (``min_keep`` 0) on float32 NumPy arrays."""
    out = boxes.copy()
    out[..., 0::2] = out[..., 0::2].clip(0, width)
    out[..., 1::2] = out[..., 1::2].clip(0, height)
    new_area = np.maximum(out[..., 2] - out[..., 0], 0) * np.maximum(out[..., 3] - out[..., 1], 0)
    keep = mask & (new_area > 0)  # (new_area >= 0 * area always holds for finite boxes)
    out[~keep] = 0
    return out, keep


class JitterTrainPath:
    """``(frames, boxes, mask, label, rng) -> (inputs (C,T,S,S), boxes (T,O,4) normalised, mask, label)``
    for DATA.TRAIN_CROP_MODE "jitter" (see the module docstring); the settings are the transform's."""

    def __init__(self, jitter: tuple[int, int], crop_size: int, mean: list[float], std: list[float],
                 channel_order: str, random_flip: bool, flip_swap: dict[int, int], min_box: float,
                 erasing=None) -> None:
        if channel_order not in ("RGB", "BGR"):
            raise ValueError(f"DATA.CHANNEL_ORDER must be RGB or BGR, got {channel_order!r}")
        self.jitter, self.crop_size = (int(jitter[0]), int(jitter[1])), int(crop_size)
        # built once (the general path builds them per call): (C, 1, 1, 1) for the (C, T, H, W) output
        self.mean = torch.tensor(mean, dtype=torch.float32).view(-1, 1, 1, 1)
        self.std = torch.tensor(std, dtype=torch.float32).view(-1, 1, 1, 1)
        self.bgr = channel_order == "BGR"
        self.random_flip, self.flip_swap = random_flip, flip_swap
        self.min_box = float(min_box)
        self.erasing = erasing

    def __call__(self, frames: np.ndarray, boxes: np.ndarray, mask: np.ndarray, label: int,
                 rng: np.random.Generator):
        t, h, w, c = frames.shape
        mask = np.array(mask, dtype=bool)  # a copy: the caller's (cached, read-only) arrays stay as they are
        boxes = np.where(mask[..., None], np.asarray(boxes, dtype=np.float32), np.float32(0))
        x = torch.from_numpy(np.ascontiguousarray(frames)).float().div_(255.0).permute(0, 3, 1, 2)
        # G.random_short_side_crop with G.resize_short_side / G.resize: the same draws, sizes and scales
        out_h, out_w = short_side_size(h, w, int(rng.integers(self.jitter[0], self.jitter[1] + 1)))
        if (h, w) != (out_h, out_w):
            x = F.interpolate(x, size=(out_h, out_w), mode="bilinear", align_corners=False)
            boxes = boxes * np.array([out_w / w, out_h / h, out_w / w, out_h / h], dtype=np.float32)
        cs = self.crop_size
        y0 = int(rng.integers(0, out_h - cs + 1))
        x0 = int(rng.integers(0, out_w - cs + 1))
        x = x[..., y0 : y0 + cs, x0 : x0 + cs]
        boxes, mask = clip_boxes_np(boxes - np.array([x0, y0, x0, y0], dtype=np.float32), mask, cs, cs)
        if self.random_flip and rng.random() < 0.5:  # G.hflip
            boxes = np.stack([cs - boxes[..., 2], boxes[..., 1], cs - boxes[..., 0], boxes[..., 3]], -1)
            boxes[~mask] = 0
            label = self.flip_swap.get(label, label) if self.flip_swap else label
            x = x.flip(-1)
        src = x.permute(1, 0, 2, 3)  # (C, T, cs, cs) view
        if self.bgr:
            src = src.flip(0)
        out = torch.sub(src, self.mean, out=torch.empty((c, t, cs, cs), dtype=torch.float32)).div_(self.std)
        if self.erasing is not None:
            self.erasing.apply_(out.permute(1, 0, 2, 3), rng)
        # finalise_boxes: normalised by the crop, clamped to [0, 1], too small boxes missing
        boxes = (boxes / np.array([cs, cs, cs, cs], dtype=np.float32)).clip(0, 1)
        bw, bh = boxes[..., 2] - boxes[..., 0], boxes[..., 3] - boxes[..., 1]
        mask = mask & (bw > np.float32(self.min_box)) & (bh > np.float32(self.min_box))
        boxes[~mask] = 0
        return out, torch.from_numpy(boxes), torch.from_numpy(mask), int(label)
