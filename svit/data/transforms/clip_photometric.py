"""PIL's AutoContrast, Equalize, Color, Contrast and Sharpness (as timm's RandAugment calls them) for
a whole clip at once, giving exactly PIL's frames (tests/data/test_fast_augment.py compares bit for bit).

Each op stays per frame where PIL's is per image (the histogram of AutoContrast/Equalize, the mean
grey level of Contrast); only the Python-level loop over frames and PIL's per-image overhead go.
AutoContrast and Equalize build PIL's per-band table from the frame's histogram and apply it with
``cv2.LUT``; Color and Contrast blend with PIL's grey (ITU-R 601-2 in 16-bit fixed point) in float32
with ``Image.blend``'s expression ``in1 + alpha * (in2 - in1)``, truncated and clipped as it does.
Sharpness blends with PIL's SMOOTH filter (3x3, weights 1 and a centre 5, over 13, rounded, border
rows/columns copied): its exact value is k/13, never within 1/26 of a rounding boundary, so any float
evaluation (here ``cv2.filter2D``) rounds to PIL's integers.
"""

from __future__ import annotations

import cv2
import numpy as np

_RAMP = np.arange(256, dtype=np.float64)
_SMOOTH = np.array([[1, 1, 1], [1, 5, 1], [1, 1, 1]], np.float32) / 13.0


def _band_histograms(frame: np.ndarray) -> np.ndarray:
    """``(C, 256)`` int64 histogram of each band of one ``(H, W, C)`` uint8 frame."""
    return np.stack([cv2.calcHist([frame], [b], None, [256], [0, 256]).ravel() for b in range(frame.shape[-1])]
                    ).astype(np.int64)


def _apply_tables(frames: np.ndarray, tables: list[np.ndarray]) -> np.ndarray:
    """Frame ``i`` through its ``(C, 256)`` per-band table."""
    out = np.empty_like(frames)
    for i, (frame, table) in enumerate(zip(frames, tables)):
        lut = np.ascontiguousarray(table.T.reshape(1, 256, -1).astype(np.uint8))
        out[i] = cv2.LUT(np.ascontiguousarray(frame), lut).reshape(frame.shape)
    return out


def autocontrast_table(hist: np.ndarray) -> np.ndarray:
    """PIL ``ImageOps.autocontrast`` (no cutoff) table of one band: the darkest present level to 0,
    the lightest to 255, linearly in between (identity when the band is flat)."""
    present = np.flatnonzero(hist)
    if present.size == 0 or present[-1] <= present[0]:
        return np.arange(256, dtype=np.int64)
    lo, hi = int(present[0]), int(present[-1])
    scale = 255.0 / (hi - lo)
    offset = -lo * scale
    return np.clip(np.trunc(_RAMP * scale + offset), 0, 255).astype(np.int64)


def equalize_table(hist: np.ndarray) -> np.ndarray:
    """PIL ``ImageOps.equalize`` table of one band (identity when at most one level is present or the
    step is zero)."""
    present = hist[hist > 0]
    if present.size <= 1:
        return np.arange(256, dtype=np.int64)
    step = (int(present.sum()) - int(present[-1])) // 255
    if not step:
        return np.arange(256, dtype=np.int64)
    before = np.concatenate([[0], np.cumsum(hist)[:-1]])  # pixels below each level
    return np.minimum((step // 2 + before) // step, 255)


def autocontrast_clip(frames: np.ndarray) -> np.ndarray:
    """``ImageOps.autocontrast`` of every ``(T, H, W, C)`` uint8 frame."""
    return _apply_tables(frames, [np.stack([autocontrast_table(h) for h in _band_histograms(f)]) for f in frames])


def equalize_clip(frames: np.ndarray) -> np.ndarray:
    """``ImageOps.equalize`` of every ``(T, H, W, C)`` uint8 frame."""
    return _apply_tables(frames, [np.stack([equalize_table(h) for h in _band_histograms(f)]) for f in frames])


def grey_levels(frames: np.ndarray) -> np.ndarray:
    """PIL's ``convert("L")`` of RGB uint8 frames: ``(R*19595 + G*38470 + B*7471 + 2**15) >> 16``."""
    grey = frames[..., 0] * np.uint32(19595)
    grey += frames[..., 1] * np.uint32(38470)
    grey += frames[..., 2] * np.uint32(7471)
    grey += np.uint32(0x8000)
    return (grey >> 16).astype(np.int32)


def blend(degenerate: np.ndarray, frames: np.ndarray, factor: float) -> np.ndarray:
    """``Image.blend(degenerate, frames, factor)`` on uint8 arrays (``degenerate`` broadcasts): float32
    ``in1 + alpha * (in2 - in1)``, clipped to [0, 255] and truncated."""
    alpha = np.float32(factor)
    if alpha == 0.0:
        return np.broadcast_to(degenerate, frames.shape).astype(np.uint8)
    if alpha == 1.0:
        return frames.copy()
    base = np.asarray(degenerate, dtype=np.float32)  # small integers: exact in float32, as are the differences
    value = frames.astype(np.float32)
    value -= base
    value *= alpha
    value += base
    np.clip(value, 0.0, 255.0, out=value)
    return value.astype(np.uint8)


def color_clip(frames: np.ndarray, factor: float) -> np.ndarray:
    """``ImageEnhance.Color(frame).enhance(factor)`` of every frame (blend with its own grey)."""
    return blend(grey_levels(frames)[..., None], frames, factor)


def contrast_clip(frames: np.ndarray, factor: float) -> np.ndarray:
    """``ImageEnhance.Contrast(frame).enhance(factor)`` of every frame (blend with the frame's mean grey
    level, rounded half up as PIL does)."""
    grey = grey_levels(frames)
    t = frames.shape[0]
    sums = grey.reshape(t, -1).sum(axis=1, dtype=np.int64)
    count = grey[0].size
    means = np.array([int(int(s) / count + 0.5) for s in sums], dtype=np.int32)  # ImageStat: int sum / count
    return blend(means[:, None, None, None], frames, factor)


def smooth_clip(frames: np.ndarray) -> np.ndarray:
    """PIL's ``filter(ImageFilter.SMOOTH)`` of every ``(T, H, W, C)`` uint8 frame (H, W >= 3)."""
    t, h, w, c = frames.shape
    # one call for the stacked frames: rows next to a frame boundary are border rows, restored below
    out = cv2.filter2D(np.ascontiguousarray(frames).reshape(t * h, w, c), -1, _SMOOTH,
                       borderType=cv2.BORDER_REPLICATE).reshape(t, h, w, c)
    out[:, 0], out[:, -1], out[:, :, 0], out[:, :, -1] = frames[:, 0], frames[:, -1], frames[:, :, 0], frames[:, :, -1]
    return out


def sharpness_clip(frames: np.ndarray, factor: float) -> np.ndarray:
    """``ImageEnhance.Sharpness(frame).enhance(factor)`` of every frame (blend with the smoothed frame)."""
    if min(frames.shape[1:3]) < 3:  # PIL's filter has no interior to smooth: let PIL decide
        from PIL import Image, ImageEnhance

        return np.stack([np.asarray(ImageEnhance.Sharpness(Image.fromarray(f)).enhance(factor)) for f in frames])
    return blend(smooth_clip(frames), frames, factor)
