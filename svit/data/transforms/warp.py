"""One affine resampling per clip with OpenCV, on PIL's pixel grid (the fast path of AUG.BACKEND "cv2").

PIL's ``Image.transform(AFFINE)`` (what timm's RandAugment uses) maps the centre ``(x + 0.5, y + 0.5)``
of every output pixel through the inverse matrix, writes the fill colour where that point lies
outside ``[0, W) x [0, H)``, and otherwise interpolates with edge-clamped neighbours and truncates
to uint8. The same sample points (PIL's expressions in float64), fill rule and edge clamping are
reproduced with ``cv2.remap(BORDER_REPLICATE)`` on float32 frames, floored afterwards, so the
geometry (and therefore the boxes) is identical. What differs is the interpolation kernel only:
PIL's transform bicubic is the cubic convolution with a = -1, OpenCV's a = -0.75, and OpenCV reads
positions on a 1/32-pixel grid; on textured frames that is a mean |difference| of ~0.3-0.5 grey
levels with no bias (bilinear: rounding only, max 1; tests/data/test_fast_augment.py states the
bounds). The remap tables are computed from canvas coordinates, so a sub-region of the output (the
crop window that follows) is computed alone, bit-equal to that region of the whole warp.
"""

from __future__ import annotations

import cv2
import numpy as np

_FLAGS = {"bicubic": cv2.INTER_CUBIC, "bilinear": cv2.INTER_LINEAR}
_SUB_BITS = 5  # OpenCV's remap tables: 1/32-pixel sample positions
_SUB = 1 << _SUB_BITS


Region = tuple[int, int, int, int]  # (y0, x0, h, w) in canvas pixels


def _sample_points(inverse: np.ndarray, region: Region) -> tuple[np.ndarray, np.ndarray]:
    """Input continuous coordinates (PIL's) of the centres of the output ``region``'s pixels, with
    PIL's expression order in float64: they depend only on the canvas position, not on the region."""
    a = np.asarray(inverse, dtype=np.float64)
    y0, x0, h, w = region
    xs = np.arange(x0, x0 + w, dtype=np.float64)[None, :] + 0.5
    ys = np.arange(y0, y0 + h, dtype=np.float64)[:, None] + 0.5
    return a[0, 0] * xs + a[0, 1] * ys + a[0, 2], a[1, 0] * xs + a[1, 1] * ys + a[1, 2]


def outside_canvas(inverse: np.ndarray, region: Region, canvas: tuple[int, int]) -> np.ndarray:
    """``(h, w)`` bool over the output ``region``: pixels whose centre maps outside the ``(H, W)``
    input canvas (PIL's test ``x < 0 or x >= W``)."""
    xin, yin = _sample_points(inverse, region)
    return (xin < 0) | (xin >= canvas[1]) | (yin < 0) | (yin >= canvas[0])


def source_region(inverse: np.ndarray, region: Region, canvas: tuple[int, int]) -> Region:
    """The input pixels the output ``region`` reads (the cubic taps around its sample points), clipped
    to the canvas; at least one pixel (a region reading nothing is all fill)."""
    a = np.asarray(inverse, dtype=np.float64)
    y0, x0, h, w = region
    xs = np.array([x0 + 0.5, x0 + w - 0.5, x0 + 0.5, x0 + w - 0.5])
    ys = np.array([y0 + 0.5, y0 + 0.5, y0 + h - 0.5, y0 + h - 0.5])
    u = a[0, 0] * xs + a[0, 1] * ys + a[0, 2] - 0.5  # input coordinates, pixel centres at integers
    v = a[1, 0] * xs + a[1, 1] * ys + a[1, 2] - 0.5
    out = []
    for lo, hi, size in ((v.min(), v.max(), canvas[0]), (u.min(), u.max(), canvas[1])):
        first = min(max(int(np.floor(lo)) - 2, 0), size - 1)
        last = max(min(int(np.floor(hi)) + 4, size), first + 1)  # taps floor-1..floor+2, +1 for the 1/32 grid
        out.append((first, last - first))
    return out[0][0], out[1][0], out[0][1], out[1][1]


def _fixed_point_maps(xin: np.ndarray, yin: np.ndarray, src_region: Region) -> tuple[np.ndarray, np.ndarray]:
    """``cv2.remap``'s fixed-point maps (integer pixel + 1/32 sub-pixel index) of the sample points
    ``xin, yin`` (``_sample_points``), relative to ``src_region``. Rounded on the canvas before the
    shift, so a region's pixels are exactly those of the whole canvas's warp."""
    lim = 1 << 19  # far outside any frame (and inside int16 after >> 5): those pixels are fill anyway
    qx = np.clip(np.rint((xin - 0.5) * _SUB), -lim, lim).astype(np.int64) - _SUB * src_region[1]
    qy = np.clip(np.rint((yin - 0.5) * _SUB), -lim, lim).astype(np.int64) - _SUB * src_region[0]
    map1 = np.stack([qx >> _SUB_BITS, qy >> _SUB_BITS], -1).astype(np.int16)
    map2 = ((qy & (_SUB - 1)) * _SUB + (qx & (_SUB - 1))).astype(np.uint16)
    return map1, map2


def warp_affine_region(src: np.ndarray, src_region: Region, inverse: np.ndarray, region: Region,
                       canvas: tuple[int, int], interpolation: str = "bicubic", fill: int = 128) -> np.ndarray:
    """The output ``region`` of the affine resampling of a ``(H, W)`` canvas, given only the part
    ``src_region`` of the input (``(T, h, w, C)`` uint8 ``src``; it must hold ``source_region``'s
    pixels). ``inverse`` maps output to input continuous pixel coordinates (PIL's convention); output
    pixels mapping outside the canvas get ``fill``. The result equals that region of the whole
    canvas's warp bit for bit."""
    if interpolation not in _FLAGS:
        raise ValueError(f"AUG.INTERPOLATION must be bilinear or bicubic, got {interpolation!r}")
    if src.dtype != np.uint8 or src.ndim != 4:
        raise TypeError(f"warp_affine_region expects (T, H, W, C) uint8 frames, got {src.dtype} {src.shape}")
    t, _, _, c = src.shape
    _, _, h, w = region
    xin, yin = _sample_points(inverse, region)
    map1, map2 = _fixed_point_maps(xin, yin, src_region)
    out = np.empty((t, h, w, c), np.uint8)
    buf = np.empty(src.shape[1:], np.float32)
    for i in range(t):
        np.copyto(buf, src[i], casting="unsafe")
        res = cv2.remap(buf, map1, map2, _FLAGS[interpolation], borderMode=cv2.BORDER_REPLICATE)
        np.clip(res, 0.0, 255.0, out=res)
        np.copyto(out[i], res.reshape(h, w, c), casting="unsafe")  # float → uint8 truncates, as PIL
    out[:, (xin < 0) | (xin >= canvas[1]) | (yin < 0) | (yin >= canvas[0])] = fill  # as outside_canvas
    return out


def warp_affine_clip(frames: np.ndarray, inverse: np.ndarray, interpolation: str = "bicubic",
                     fill: int = 128) -> np.ndarray:
    """Resamples whole ``(T, H, W, C)`` uint8 frames with the 3x3 ``inverse`` matrix (output → input
    continuous pixel coordinates, PIL's convention); pixels mapping outside the frame get ``fill``."""
    h, w = frames.shape[1:3]
    whole = (0, 0, h, w)
    return warp_affine_region(frames, whole, inverse, whole, (h, w), interpolation, fill)
