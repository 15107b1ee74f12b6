"""Builds the clip transform of a split from the config.

Every split first resizes frames to DATA.RESIZE_HW = [H, W] when it is set (H2CN's 240x320).
Training (as in github.com/eladb3/SViT): [RandAugment (AUG.ENABLE)] → float [0,1] → crop
(``DATA.TRAIN_CROP_MODE``: "rrc" RandomResizedCrop with TRAIN_JITTER_SCALES_RELATIVE /
TRAIN_JITTER_ASPECT_RELATIVE, "jitter" short side U[TRAIN_JITTER_SCALES] + random crop,
"tsn_multiscale" TSN multi-scale crop; "auto" = rrc when TRAIN_JITTER_SCALES_RELATIVE is set, else
jitter) → [horizontal flip with the left/right class swap (DATA.RANDOM_FLIP)] → channel order →
normalise → [random erasing (AUG.ENABLE and AUG.RE_PROB > 0)].
Validation/test: short side to TEST_SCALE_SIZE (0 = TEST_CROP_SIZE), then the centre crop
(val) or spatial crop ``spatial_idx`` of TEST.NUM_SPATIAL_CROPS on the TEST.CROP_GRID grid (test),
channel order, normalise.

AUG.BACKEND "cv2" (default) computes the same training pipeline clip-wise: RandAugment with one
OpenCV resampling per geometric op and exact clip-level photometric ops (see ``randaugment``), and
for the "rrc" crop the window is cut from the uint8 frames and resized and normalised once in the
``(C, T, H, W)`` layout the model takes (float rounding only, < 0.01 grey level). "pil" is the former per-frame
PIL path, kept bit for bit. Both draw the same random numbers in the same order.
The "jitter" crop without RandAugment, colour jitter or DATA.RESIZE_HW (the CPU job's training path)
runs in ``jitter_fast``: the same numbers bit for bit, without the layout copies and tiny box ops.

Channel order is applied *before* normalisation, so DATA.MEAN / DATA.STD are given in the order the
model sees. Boxes end normalised x1y1x2y2 in [0,1]; a box narrower or lower than SVIT.MIN_BOX_SIZE
(normalised) after all ops is missing (mask False, zeros).
"""

from __future__ import annotations

import logging
from typing import Callable

import numpy as np
import torch

from svit.data.transforms import geometry as G
from svit.data.transforms.clip import Clip
from svit.data.transforms.color import ClipColorJitter
from svit.data.transforms.crop_grid import grid_spatial_crop
from svit.data.transforms.erasing import ClipRandomErasing
from svit.data.transforms.jitter_fast import JitterTrainPath
from svit.data.transforms.randaugment import BACKENDS, ClipRandAugment

logger = logging.getLogger(__name__)


def build_color_jitter(aug, train: bool) -> ClipColorJitter | None:
    """AUG.COLOR_JITTER for training clips: PySlowFast applies it with AUG.ENABLE and only when no
    RandAugment policy (AUG.AA_TYPE) is set; a value that cannot act is reported, not ignored."""
    strength = float(aug.COLOR_JITTER)
    if not train or strength <= 0:
        return None
    if not aug.ENABLE or aug.AA_TYPE:
        why = "AUG.ENABLE is False"
        if aug.ENABLE:
            why = f"AUG.AA_TYPE {aug.AA_TYPE!r} is set (RandAugment replaces it)"
        logger.warning("AUG.COLOR_JITTER %s has no effect: %s", strength, why)
        return None
    return ClipColorJitter(strength)


def normalise(clip: Clip, mean: list[float], std: list[float], channel_order: str) -> Clip:
    """Float frames in [0,1] → channel order (RGB|BGR) → ``(x - mean) / std``."""
    frames = clip.frames
    if channel_order == "BGR":
        frames = frames.flip(1)
    elif channel_order != "RGB":
        raise ValueError(f"DATA.CHANNEL_ORDER must be RGB or BGR, got {channel_order!r}")
    m = torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1)
    s = torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1)
    return clip.evolve(frames=(frames - m).div_(s))  # in place on the new tensor: same numbers


def finalise_boxes(clip: Clip, min_size: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Pixel boxes → normalised x1y1x2y2 clipped to [0,1]; too small boxes become missing."""
    scale = torch.tensor([clip.width, clip.height, clip.width, clip.height], dtype=torch.float32)
    boxes = (clip.boxes.float() / scale).clamp(0, 1)
    w, h = boxes[..., 2] - boxes[..., 0], boxes[..., 3] - boxes[..., 1]
    mask = clip.mask & (w > min_size) & (h > min_size)
    boxes[~mask] = 0
    return boxes, mask


class ClipTransform:
    """Callable ``(frames uint8 (T,H,W,3) RGB, boxes px (T,O,4), mask (T,O), label, rng, spatial_idx)
    -> (inputs (C,T,H,W) float32, boxes (T,O,4) normalised, mask (T,O) bool, label)``."""

    def __init__(self, cfg, split: str, flip_swap: dict[int, int] | None = None) -> None:
        if split not in ("train", "val", "test"):
            raise ValueError(f"split must be train, val or test, got {split!r}")
        d = cfg.DATA
        self.split = split
        self.train = split == "train"
        self.mean, self.std, self.order = list(d.MEAN), list(d.STD), d.CHANNEL_ORDER
        if len(self.mean) != 3 or len(self.std) != 3:
            raise ValueError(f"DATA.MEAN and DATA.STD need 3 values, got {self.mean} / {self.std}")
        self.min_box = float(cfg.SVIT.MIN_BOX_SIZE)
        self.flip_swap = flip_swap or {}
        self.random_flip = bool(d.RANDOM_FLIP)
        self.crop_size = int(d.TRAIN_CROP_SIZE if self.train else d.TEST_CROP_SIZE)
        self.test_scale = int(d.TEST_SCALE_SIZE) or int(d.TEST_CROP_SIZE)
        self.num_crops = int(cfg.TEST.NUM_SPATIAL_CROPS) if split == "test" else 1
        self.crop_grid = cfg.TEST.CROP_GRID
        mode = d.TRAIN_CROP_MODE
        if mode == "auto":
            mode = "rrc" if len(d.TRAIN_JITTER_SCALES_RELATIVE) > 0 else "jitter"
        if mode not in ("rrc", "jitter", "tsn_multiscale"):
            raise ValueError(
                f"DATA.TRAIN_CROP_MODE must be auto, rrc, jitter or tsn_multiscale, got {d.TRAIN_CROP_MODE!r}"
            )
        self.crop_mode = mode
        self.rrc_scale = tuple(d.TRAIN_JITTER_SCALES_RELATIVE) or (0.08, 1.0)
        self.rrc_ratio = tuple(d.TRAIN_JITTER_ASPECT_RELATIVE) or (0.75, 4 / 3)
        self.jitter = tuple(d.TRAIN_JITTER_SCALES)
        self.resize_hw = tuple(int(v) for v in d.RESIZE_HW)
        if self.resize_hw and len(self.resize_hw) != 2:
            raise ValueError(f"DATA.RESIZE_HW must be [] or [H, W], got {list(d.RESIZE_HW)}")
        aug = cfg.AUG
        self.backend = aug.BACKEND
        if self.backend not in BACKENDS:
            raise ValueError(f"AUG.BACKEND must be one of {BACKENDS}, got {self.backend!r}")
        self.randaug = (
            ClipRandAugment(aug.AA_TYPE, aug.INTERPOLATION, self.backend)
            if (self.train and aug.ENABLE and aug.AA_TYPE)
            else None
        )
        self.color_jitter = build_color_jitter(aug, self.train)
        self.erasing = (
            ClipRandomErasing(aug.RE_PROB, aug.RE_MODE, aug.RE_COUNT)
            if (self.train and aug.ENABLE and aug.RE_PROB > 0)
            else None
        )
        # The "jitter" training crop without RandAugment / colour jitter (the CPU job's clips and frames):
        # the same numbers at a fraction of the cost (svit/data/transforms/jitter_fast.py).
        self.jitter_path = None
        plain = self.randaug is None and self.color_jitter is None and not self.resize_hw
        if self.train and mode == "jitter" and plain:
            self.jitter_path = JitterTrainPath(self.jitter, self.crop_size, self.mean, self.std, self.order,
                                               self.random_flip, self.flip_swap, self.min_box, self.erasing)

    def _crop_train(self, clip: Clip, rng: np.random.Generator) -> Clip:
        if self.crop_mode == "rrc":
            return G.random_resized_crop(clip, self.crop_size, self.rrc_scale, self.rrc_ratio, rng)
        if self.crop_mode == "tsn_multiscale":
            return G.tsn_multiscale_crop(clip, self.crop_size, rng)
        return G.random_short_side_crop(clip, self.jitter[0], self.jitter[1], self.crop_size, rng)

    def __call__(
        self,
        frames: np.ndarray,
        boxes: np.ndarray,
        mask: np.ndarray,
        label: int,
        rng: np.random.Generator,
        spatial_idx: int = 0,
    ):
        if self.backend == "cv2" and self.train and self.crop_mode == "rrc" and not self.resize_hw:
            return self._train_rrc_clipwise(frames, boxes, mask, label, rng)
        if self.jitter_path is not None:
            return self.jitter_path(frames, boxes, mask, label, rng)
        clip = Clip(
            frames=torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2),
            boxes=torch.as_tensor(boxes, dtype=torch.float32).clone(),
            mask=torch.as_tensor(mask, dtype=torch.bool).clone(),
            label=int(label),
        )
        clip = clip.evolve(boxes=torch.where(clip.mask[..., None], clip.boxes, torch.zeros(())))
        if self.randaug is not None:
            clip = self.randaug(clip, rng)
        if self.train and self.crop_mode == "rrc" and not self.resize_hw:
            # The crop window first, on uint8: float conversion and /255 are elementwise, so converting
            # only the kept window gives the same numbers as converting the frame and cropping it.
            y0, x0, ch, cw = G.random_resized_crop_params(clip.height, clip.width, self.rrc_scale, self.rrc_ratio, rng)
            clip = G.crop(clip, y0, x0, ch, cw)
            clip = G.resize(clip.evolve(frames=clip.frames.float() / 255.0), self.crop_size, self.crop_size)
        else:  # (RandAugment hands over a channels-last view; the training ops get the usual layout)
            # Evaluation keeps the frames channels-last (no permute copy): its resize (PyTorch's channels-last
            # bilinear kernel), crop and normalisation give the same numbers in either layout (test).
            frames = clip.frames if not self.train else clip.frames.contiguous()
            clip = clip.evolve(frames=frames.float() / 255.0)
            if self.resize_hw:
                clip = G.resize(clip, *self.resize_hw)
            if self.train:
                clip = self._crop_train(clip, rng)
        if self.train:
            if self.random_flip and rng.random() < 0.5:
                clip = G.hflip(clip, self.flip_swap)
            if self.color_jitter is not None:
                clip = self.color_jitter(clip, rng)
        else:
            clip = G.resize_short_side(clip, self.test_scale)
            clip = grid_spatial_crop(clip, self.crop_size, spatial_idx, self.num_crops, self.crop_grid)
        clip = normalise(clip, self.mean, self.std, self.order)
        if self.erasing is not None:
            clip = self.erasing(clip, rng)
        boxes_n, mask_n = finalise_boxes(clip, self.min_box)
        return clip.frames.permute(1, 0, 2, 3).contiguous(), boxes_n, mask_n, clip.label

    def _train_rrc_clipwise(self, frames: np.ndarray, boxes: np.ndarray, mask: np.ndarray, label: int,
                            rng: np.random.Generator):
        """The "rrc" training path of AUG.BACKEND "cv2": the same draws as ``__call__``'s, the pixels
        kept uint8 channels-last until the crop window, then one float resize in ``(C, T, H, W)``."""
        frames = np.ascontiguousarray(frames)
        mask_t = torch.as_tensor(mask, dtype=torch.bool).clone()
        boxes_t = torch.where(mask_t[..., None], torch.as_tensor(boxes, dtype=torch.float32), torch.zeros(()))
        t, h, w, c = frames.shape
        ops = self.randaug.sample(rng) if self.randaug is not None else []
        y0, x0, ch, cw = G.random_resized_crop_params(h, w, self.rrc_scale, self.rrc_ratio, rng)
        if ops:  # RandAugment computes only the crop window (and what it needs of the frame)
            window = self.randaug.apply_frames(frames, ops, (y0, x0, ch, cw))
            boxes_t, mask_t = self.randaug.apply_boxes(boxes_t, mask_t, ops, w, h)
        else:
            window = frames[:, y0 : y0 + ch, x0 : x0 + cw]
        boxes_t, mask_t = G.crop_boxes(boxes_t, mask_t, y0, x0, ch, cw)
        size = self.crop_size
        if self.color_jitter is None:  # channel order, /255 and normalisation folded into the resize
            if self.order not in ("RGB", "BGR"):
                raise ValueError(f"DATA.CHANNEL_ORDER must be RGB or BGR, got {self.order!r}")
            source = [2, 1, 0] if self.order == "BGR" else [0, 1, 2]
            scale = [1.0 / (255.0 * s) for s in self.std]
            bias = [-m / s for m, s in zip(self.mean, self.std)]
            x = G.resize_to_planes(window, size, size, scale, bias, source)
        else:  # the jitter works on [0, 1] RGB
            x = G.resize_to_planes(window, size, size, [1.0 / 255.0] * c, [0.0] * c)
        if (ch, cw) != (size, size):
            boxes_t = boxes_t * torch.tensor([size / cw, size / ch, size / cw, size / ch])
        clip = Clip(frames=x.permute(1, 0, 2, 3), boxes=boxes_t, mask=mask_t, label=int(label))
        if self.random_flip and rng.random() < 0.5:
            clip = G.hflip(clip, self.flip_swap)
        if self.color_jitter is not None:
            clip = normalise(self.color_jitter(clip, rng), self.mean, self.std, self.order)
        if self.erasing is not None:
            clip = clip.evolve(frames=self.erasing.apply_(clip.frames, rng))
        boxes_n, mask_n = finalise_boxes(clip, self.min_box)
        return clip.frames.permute(1, 0, 2, 3).contiguous(), boxes_n, mask_n, clip.label


def build_clip_transform(cfg, split: str, flip_swap: dict[int, int] | None = None) -> Callable:
    """The transform of ``split`` (see the module docstring)."""
    return ClipTransform(cfg, split, flip_swap)
