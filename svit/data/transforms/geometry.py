"""Crops, resizes and flips of clips with their boxes (the same window for every frame).

Pixel grids follow ``align_corners=False``: a continuous coordinate ``x`` in the source maps to
``(x - x0) * out_w / crop_w`` in the output, which is exactly where bilinear resampling puts it.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from svit.data.transforms.clip import Clip, clip_boxes


def resize(clip: Clip, out_h: int, out_w: int) -> Clip:
    """Bilinear resize of all frames (float frames) to ``out_h x out_w``; boxes scale with them."""
    h, w = clip.height, clip.width
    if (h, w) == (out_h, out_w):
        return clip
    frames = F.interpolate(clip.frames.float(), size=(out_h, out_w), mode="bilinear", align_corners=False)
    scale = torch.tensor([out_w / w, out_h / h, out_w / w, out_h / h])
    return clip.evolve(frames=frames, boxes=clip.boxes * scale)


def resize_to_planes(frames: np.ndarray, out_h: int, out_w: int, scale: list[float] | None = None,
                     bias: list[float] | None = None, source: list[int] | None = None) -> torch.Tensor:
    """``(T, H, W, C)`` uint8 frames → ``(C, T, out_h, out_w)`` float32 ``frames[..., source[c]] * scale[c]
    + bias[c]`` (default: the values 0..255 in order), resized bilinearly with ``align_corners=False``
    as ``resize``. OpenCV per plane, ~2x torch's single-thread kernel, with the affine map applied to
    the (smaller) input: bilinear weights sum to one, so only float rounding differs (< 1e-5 of the
    value range)."""
    t, h, w, c = frames.shape
    scale = [1.0] * c if scale is None else scale
    bias = [0.0] * c if bias is None else bias
    source = list(range(c)) if source is None else source
    out = torch.empty((c, t, out_h, out_w), dtype=torch.float32)
    planes = out.numpy()
    for i in range(t):
        split = cv2.split(np.ascontiguousarray(frames[i]))
        for ch in range(c):
            plane = split[source[ch]]
            if (h, w) == (out_h, out_w):
                cv2.addWeighted(plane, scale[ch], plane, 0.0, bias[ch], dst=planes[ch, i], dtype=cv2.CV_32F)
            else:
                src = cv2.addWeighted(plane, scale[ch], plane, 0.0, bias[ch], dtype=cv2.CV_32F)
                cv2.resize(src, (out_w, out_h), dst=planes[ch, i], interpolation=cv2.INTER_LINEAR)
    return out


def short_side_size(h: int, w: int, size: int) -> tuple[int, int]:
    """``(out_h, out_w)`` with the shorter side ``size`` (aspect kept; the longer side is rounded)."""
    if h <= w:
        return size, max(1, int(round(w * size / h)))
    return max(1, int(round(h * size / w))), size


def resize_short_side(clip: Clip, size: int) -> Clip:
    """Resizes so the shorter side is ``size`` (aspect kept; the longer side is rounded)."""
    return resize(clip, *short_side_size(clip.height, clip.width, size))


def crop_boxes(boxes: torch.Tensor, mask: torch.Tensor, y0: int, x0: int, ch: int, cw: int
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """Pixel boxes of the window ``[y0, y0+ch) x [x0, x0+cw)``: shifted and clipped to it."""
    return clip_boxes(boxes - torch.tensor([x0, y0, x0, y0], dtype=boxes.dtype), mask, cw, ch)


def crop(clip: Clip, y0: int, x0: int, ch: int, cw: int) -> Clip:
    """Crops the window ``[y0, y0+ch) x [x0, x0+cw)``; boxes are shifted and clipped to it."""
    if not (0 <= y0 and 0 <= x0 and y0 + ch <= clip.height and x0 + cw <= clip.width):
        raise ValueError(f"crop ({y0},{x0},{ch},{cw}) outside a {clip.height}x{clip.width} frame")
    frames = clip.frames[..., y0 : y0 + ch, x0 : x0 + cw]
    boxes, mask = crop_boxes(clip.boxes, clip.mask, y0, x0, ch, cw)
    return clip.evolve(frames=frames, boxes=boxes, mask=mask)


def random_short_side_crop(clip: Clip, min_size: int, max_size: int, crop_size: int, rng: np.random.Generator) -> Clip:
    """PySlowFast training jitter: short side to U{min..max}, then a random square crop."""
    clip = resize_short_side(clip, int(rng.integers(min_size, max_size + 1)))
    y0 = int(rng.integers(0, clip.height - crop_size + 1))
    x0 = int(rng.integers(0, clip.width - crop_size + 1))
    return crop(clip, y0, x0, crop_size, crop_size)


def random_resized_crop_params(
    h: int, w: int, scale: tuple[float, float], ratio: tuple[float, float], rng: np.random.Generator, attempts: int = 10
) -> tuple[int, int, int, int]:
    """(y0, x0, ch, cw) of an Inception-style crop: area fraction ~U(scale), aspect log-uniform in
    ``ratio``; after ``attempts`` failures, the centre crop of the ratio-clamped full frame."""
    area = h * w
    log_r = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(attempts):
        target = area * rng.uniform(scale[0], scale[1])
        ar = math.exp(rng.uniform(*log_r))
        cw = int(round(math.sqrt(target * ar)))
        ch = int(round(math.sqrt(target / ar)))
        if 0 < cw <= w and 0 < ch <= h:
            return int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1)), ch, cw
    in_ratio = w / h
    if in_ratio < min(ratio):
        cw, ch = w, int(round(w / min(ratio)))
    elif in_ratio > max(ratio):
        ch, cw = h, int(round(h * max(ratio)))
    else:
        cw, ch = w, h
    return (h - ch) // 2, (w - cw) // 2, ch, cw


def random_resized_crop(
    clip: Clip, size: int, scale: tuple[float, float], ratio: tuple[float, float], rng: np.random.Generator
) -> Clip:
    """RandomResizedCrop of the whole clip (one window), resized to ``size x size``."""
    y0, x0, ch, cw = random_resized_crop_params(clip.height, clip.width, scale, ratio, rng)
    return resize(crop(clip, y0, x0, ch, cw), size, size)


TSN_SCALES = (1.0, 0.875, 0.75, 0.66)


def tsn_multiscale_crop(
    clip: Clip, size: int, rng: np.random.Generator, scales=TSN_SCALES, max_distort: int = 1
) -> Clip:
    """TSN ``GroupMultiScaleCrop``: crop sides ``int(short*s)`` (snapped to ``size`` within 3 px),
    width/height scale indices differing by at most ``max_distort``, placed at one of 13 fixed
    offsets (corners, centre, edge midpoints, quarter points), then resized to ``size x size``."""
    h, w = clip.height, clip.width
    base = min(h, w)
    sizes = [int(base * s) for s in scales]
    sizes = [size if abs(s - size) < 3 else s for s in sizes]
    pairs = [(cw, ch) for i, ch in enumerate(sizes) for j, cw in enumerate(sizes) if abs(i - j) <= max_distort]
    cw, ch = pairs[int(rng.integers(len(pairs)))]
    sw, sh = (w - cw) // 4, (h - ch) // 4
    offsets = [
        (0, 0),
        (4 * sw, 0),
        (0, 4 * sh),
        (4 * sw, 4 * sh),
        (2 * sw, 2 * sh),
        (0, 2 * sh),
        (4 * sw, 2 * sh),
        (2 * sw, 4 * sh),
        (2 * sw, 0),
        (1 * sw, 1 * sh),
        (3 * sw, 1 * sh),
        (1 * sw, 3 * sh),
        (3 * sw, 3 * sh),
    ]
    x0, y0 = offsets[int(rng.integers(len(offsets)))]
    return resize(crop(clip, y0, x0, ch, cw), size, size)


def spatial_crop(clip: Clip, size: int, index: int, num_crops: int) -> Clip:
    """Deterministic test crop ``index`` of ``num_crops`` (1: centre; 3: left/centre/right for wide
    frames, top/centre/bottom for tall ones). The centre offset is ``ceil((L - size)/2)``."""
    h, w = clip.height, clip.width
    if size > h or size > w:
        raise ValueError(f"crop {size} larger than frame {h}x{w}")
    cy, cx = math.ceil((h - size) / 2), math.ceil((w - size) / 2)
    if num_crops == 1:
        return crop(clip, cy, cx, size, size)
    if num_crops != 3:
        raise ValueError(f"TEST.NUM_SPATIAL_CROPS must be 1 or 3, got {num_crops}")
    if w >= h:
        x0 = [0, cx, w - size][index]
        return crop(clip, cy, x0, size, size)
    y0 = [0, cy, h - size][index]
    return crop(clip, y0, cx, size, size)


def hflip(clip: Clip, swap: dict[int, int] | None = None) -> Clip:
    """Mirrors every frame; ``x -> W - x`` for boxes; the label follows ``swap`` (left/right classes)."""
    w = clip.width
    boxes = torch.stack([w - clip.boxes[..., 2], clip.boxes[..., 1], w - clip.boxes[..., 0], clip.boxes[..., 3]], -1)
    boxes[~clip.mask] = 0
    label = swap.get(clip.label, clip.label) if swap else clip.label
    return clip.evolve(frames=clip.frames.flip(-1), boxes=boxes, label=label)
