"""Clip-level, box-aware RandAugment from a timm-style string (``rand-m7-n4-mstd0.5-inc1``).

Parameters are drawn **once per clip** (ops, whether each fires, magnitudes, signs) and replayed on
every frame. Photometric ops are timm's own op functions (``timm.data.auto_augment``); the
geometric ops (Rotate, ShearX/Y, TranslateX/YRel) are written here as explicit forward affine
matrices ``A`` (input → output pixel coordinates): the frame is resampled by PIL with ``A^-1``
(what ``Image.transform(AFFINE)`` takes) and the 4 corners of every box are mapped by ``A``, then
min/max and clipped to the canvas. Image and boxes therefore move identically (the original used a
different library for the box shear). A box keeping < 25 % of its area after clipping is missing.

``backend`` (AUG.BACKEND) picks how the frames are computed: ``"pil"`` replays the ops frame by frame
with PIL (timm's own functions), ``"cv2"`` runs each op once per clip: the geometric ops with one
OpenCV affine resampling on PIL's pixel grid (``warp.py``: same geometry and boxes, OpenCV's cubic
kernel instead of PIL's, mean |diff| < 1 grey level) and AutoContrast, Equalize, Color, Contrast and
Sharpness as exact clip-level copies of PIL's (``clip_photometric.py``). Both draw the same parameters.

String grammar (timm): ``rand`` then ``-`` separated ``m<float>`` magnitude, ``n<int>`` ops,
``mstd<float>`` magnitude std (>100 = uniform in [0, m]), ``mmax<float>`` upper clip (default 10),
``p<float>`` op probability (default 0.5), ``inc<0|1>`` increasing op list (default 0).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np
import torch
from PIL import Image
from timm.data import auto_augment as taa

from svit.data.transforms import clip_photometric as CP
from svit.data.transforms.clip import Clip, clip_boxes
from svit.data.transforms.warp import source_region, warp_affine_clip, warp_affine_region

LEVEL_DENOM = 10.0
FILL = (128, 128, 128)
MIN_KEEP_AREA = 0.25
GEOMETRIC = ("Rotate", "ShearX", "ShearY", "TranslateXRel", "TranslateYRel")
# Ops whose output pixel is a function of the same pixel's value in the same band only (PIL ``point``
# tables and the blend with black of Brightness): applied to a whole clip as one table lookup.
LUT_OPS = frozenset({"Invert", "Posterize", "PosterizeIncreasing", "PosterizeOriginal", "Solarize",
                     "SolarizeIncreasing", "SolarizeAdd", "Brightness", "BrightnessIncreasing"})
INCREASING_OPS = tuple(taa._RAND_INCREASING_TRANSFORMS)
STANDARD_OPS = tuple(taa._RAND_TRANSFORMS)


def _posterize(img: Image.Image, bits: int) -> Image.Image:
    """timm's posterize; 0 bits (PosterizeIncreasing at level 10) is a black image, as older Pillow
    computed it (Pillow >= 13 refuses bits < 1)."""
    return Image.new(img.mode, img.size, 0) if bits <= 0 else taa.posterize(img, bits)


_PHOTOMETRIC_FN = {
    "AutoContrast": taa.auto_contrast, "Equalize": taa.equalize, "Invert": taa.invert,
    "Posterize": _posterize, "PosterizeIncreasing": _posterize, "PosterizeOriginal": _posterize,
    "Solarize": taa.solarize, "SolarizeIncreasing": taa.solarize, "SolarizeAdd": taa.solarize_add,
    "Color": taa.color, "ColorIncreasing": taa.color, "Contrast": taa.contrast,
    "ContrastIncreasing": taa.contrast, "Brightness": taa.brightness, "BrightnessIncreasing": taa.brightness,
    "Sharpness": taa.sharpness, "SharpnessIncreasing": taa.sharpness,
}
# Exact clip-level copies of PIL's ops (clip_photometric.py) used by the "cv2" backend.
_CLIP_FN = {
    "AutoContrast": lambda f, _arg: CP.autocontrast_clip(f), "Equalize": lambda f, _arg: CP.equalize_clip(f),
    "Color": CP.color_clip, "ColorIncreasing": CP.color_clip,
    "Contrast": CP.contrast_clip, "ContrastIncreasing": CP.contrast_clip,
    "Sharpness": CP.sharpness_clip, "SharpnessIncreasing": CP.sharpness_clip,
}
# Ops whose output pixel depends on that pixel of the input only: with a crop window to follow they
# run on the part of the frame the window needs (``apply_frames(window=...)``).
POINTWISE = LUT_OPS | {"Color", "ColorIncreasing"}
BACKENDS = ("cv2", "pil")


@dataclass
class RandAugmentConfig:
    magnitude: float = 9.0
    num_ops: int = 2
    magnitude_std: float = 0.0
    magnitude_max: float = 10.0
    prob: float = 0.5
    ops: tuple[str, ...] = field(default=STANDARD_OPS)
    translate_pct: float = 0.45


def parse_randaugment(spec: str) -> RandAugmentConfig:
    """Parses a timm RandAugment string; unknown parts raise with the offending token."""
    parts = spec.split("-")
    if parts[0] != "rand":
        raise ValueError(f"AUG.AA_TYPE must start with 'rand', got {spec!r}")
    cfg = RandAugmentConfig()
    for tok in parts[1:]:
        for key in ("mstd", "mmax", "inc", "m", "n", "p"):
            if tok.startswith(key):
                val = tok[len(key):]
                break
        else:
            raise ValueError(f"unknown RandAugment option {tok!r} in {spec!r}")
        try:
            if key == "mstd":
                cfg.magnitude_std = float(val)
            elif key == "mmax":
                cfg.magnitude_max = float(val)
            elif key == "inc":
                cfg.ops = INCREASING_OPS if int(val) else STANDARD_OPS
            elif key == "m":
                cfg.magnitude = float(val)
            elif key == "n":
                cfg.num_ops = int(val)
            else:
                cfg.prob = float(val)
        except ValueError:
            raise ValueError(f"bad value in RandAugment option {tok!r} of {spec!r}") from None
    return cfg


def _signed(value: float, rng: np.random.Generator) -> float:
    return -value if rng.random() < 0.5 else value


def op_argument(name: str, level: float, rng: np.random.Generator, translate_pct: float = 0.45) -> float:
    """timm's level → argument mapping (levels 0..10), with the random sign drawn from ``rng``."""
    f = level / LEVEL_DENOM
    if name == "Rotate":
        return _signed(30.0 * f, rng)
    if name in ("ShearX", "ShearY"):
        return _signed(0.3 * f, rng)
    if name in ("TranslateXRel", "TranslateYRel"):
        return _signed(translate_pct * f, rng)
    if name.endswith("Increasing") and name[: -len("Increasing")] in ("Color", "Contrast", "Brightness", "Sharpness"):
        return 1.0 + _signed(0.9 * f, rng)
    if name in ("Color", "Contrast", "Brightness", "Sharpness"):
        return 0.1 + 1.8 * f
    if name == "PosterizeIncreasing":
        return 4 - int(4 * f)
    if name == "Posterize":
        return int(4 * f)
    if name == "SolarizeIncreasing":
        return 256 - int(256 * f)
    if name == "Solarize":
        return int(256 * f)
    if name == "SolarizeAdd":
        return int(110 * f)
    if name in ("AutoContrast", "Equalize", "Invert"):
        return 0.0
    raise ValueError(f"unsupported RandAugment op {name!r}")


def affine_matrix(name: str, arg: float, width: int, height: int) -> np.ndarray:
    """Forward 3x3 matrix (input → output continuous pixel coordinates) of a geometric op."""
    if name == "Rotate":  # counter-clockwise on screen (y down), about the image centre
        t = math.radians(arg)
        cx, cy = width / 2.0, height / 2.0
        c, s = math.cos(t), math.sin(t)
        return np.array([[c, s, cx - c * cx - s * cy], [-s, c, cy + s * cx - c * cy], [0, 0, 1]])
    if name == "ShearX":  # output (x, y) samples input (x + k*y, y), as timm's shear_x
        return np.linalg.inv(np.array([[1, arg, 0], [0, 1, 0], [0, 0, 1]], float))
    if name == "ShearY":
        return np.linalg.inv(np.array([[1, 0, 0], [arg, 1, 0], [0, 0, 1]], float))
    if name == "TranslateXRel":  # output x samples input x + pct*W: content moves left by pct*W
        return np.array([[1, 0, -arg * width], [0, 1, 0], [0, 0, 1]], float)
    if name == "TranslateYRel":
        return np.array([[1, 0, 0], [0, 1, -arg * height], [0, 0, 1]], float)
    raise ValueError(f"{name!r} is not a geometric op")


def transform_boxes(
    boxes: torch.Tensor, mask: torch.Tensor, matrix: np.ndarray, width: int, height: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Maps the 4 corners of every box by ``matrix``, takes min/max, clips to the canvas."""
    # float64 numpy: the same IEEE operations as the former torch code, without torch's per-op
    # overhead on these few-element arrays (it dominated the op on a busy machine).
    m = np.asarray(matrix, dtype=np.float64)
    x1, y1, x2, y2 = np.moveaxis(boxes.double().numpy(), -1, 0)
    xs = np.stack([x1, x2, x1, x2], -1)
    ys = np.stack([y1, y1, y2, y2], -1)
    nx = m[0, 0] * xs + m[0, 1] * ys + m[0, 2]
    ny = m[1, 0] * xs + m[1, 1] * ys + m[1, 2]
    out = torch.from_numpy(np.stack([nx.min(-1), ny.min(-1), nx.max(-1), ny.max(-1)], -1)).float()
    out, keep = clip_boxes(out, mask, width, height, MIN_KEEP_AREA)
    return out, keep


class ClipRandAugment:
    """RandAugment whose parameters are shared by all frames of a clip and that moves the boxes."""

    def __init__(self, spec: str, interpolation: str = "bicubic", backend: str = "pil") -> None:
        self.cfg = parse_randaugment(spec)
        if interpolation not in ("bilinear", "bicubic"):
            raise ValueError(f"AUG.INTERPOLATION must be bilinear or bicubic, got {interpolation!r}")
        if backend not in BACKENDS:
            raise ValueError(f"AUG.BACKEND must be one of {BACKENDS}, got {backend!r}")
        self.interpolation, self.backend = interpolation, backend
        self.resample = Image.BICUBIC if interpolation == "bicubic" else Image.BILINEAR
        self._luts: dict[tuple[str, float], np.ndarray] = {}

    def sample(self, rng: np.random.Generator) -> list[tuple[str, float]]:
        """Draws the fired ops and their arguments for one clip."""
        c = self.cfg
        chosen = [c.ops[i] for i in rng.integers(0, len(c.ops), size=c.num_ops)]  # with replacement
        fired = []
        for name in chosen:
            if rng.random() > c.prob:
                continue
            if c.magnitude_std > 100:
                level = rng.uniform(0, c.magnitude)
            elif c.magnitude_std > 0:
                level = rng.normal(c.magnitude, c.magnitude_std)
            else:
                level = c.magnitude
            level = float(np.clip(level, 0.0, c.magnitude_max))
            fired.append((name, op_argument(name, level, rng, c.translate_pct)))
        return fired

    def apply_image(self, img: Image.Image, ops: list[tuple[str, float]]) -> Image.Image:
        """Replays sampled ops on one PIL frame."""
        for name, arg in ops:
            if name in GEOMETRIC:
                inv = np.linalg.inv(affine_matrix(name, arg, img.width, img.height))
                img = img.transform(
                    img.size, Image.AFFINE, tuple(inv[:2].reshape(-1)), resample=self.resample, fillcolor=FILL
                )
            elif name in ("AutoContrast", "Equalize", "Invert"):
                img = _PHOTOMETRIC_FN[name](img)
            else:
                img = _PHOTOMETRIC_FN[name](img, arg)
        return img

    def __call__(self, clip: Clip, rng: np.random.Generator) -> Clip:
        return self.apply(clip, self.sample(rng))

    def _lut(self, name: str, arg: float) -> np.ndarray:
        """The ``(1, 256, 3)`` per-band table that op ``name`` applies, read off the op's own output on
        a 0..255 ramp image (exact for the ops in ``LUT_OPS``: each output pixel depends only on the
        same pixel's value in the same band)."""
        key = (name, arg)
        lut = self._luts.get(key)
        if lut is None:
            if len(self._luts) > 512:  # magnitudes are continuous with mstd > 0: keep the cache small
                self._luts.clear()
            ramp = Image.fromarray(np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=2))
            lut = self._luts[key] = np.ascontiguousarray(np.asarray(self.apply_image(ramp, [(name, arg)])))
        return lut

    def apply_frames(self, frames: np.ndarray, ops: list[tuple[str, float]],
                     window: tuple[int, int, int, int] | None = None) -> np.ndarray:
        """Replays ``ops`` on ``(T, H, W, 3)`` uint8 frames: per-band table ops (``LUT_OPS``) once for
        the whole clip with ``cv2.LUT``; with the "cv2" backend the geometric ops and ``_CLIP_FN``
        once per clip too; the others frame by frame with PIL (``apply_image``). With ``window``
        ``(y0, x0, h, w)`` only that window of the result is returned; the "cv2" backend then computes
        the trailing geometric and pointwise ops on the pixels the window needs only."""
        if window is None or self.backend != "cv2":
            out = self._replay(frames, ops)
            if window is not None:
                y0, x0, h, w = window
                out = out[:, y0 : y0 + h, x0 : x0 + w]
            return out
        k = len(ops)
        while k > 0 and (ops[k - 1][0] in GEOMETRIC or ops[k - 1][0] in POINTWISE):
            k -= 1
        arr = self._replay(frames, ops[:k])
        canvas = arr.shape[1:3]
        regions = [tuple(window)]  # built backwards: what each tail op writes, then what it reads
        inverses = {}
        for i in range(len(ops) - 1, k - 1, -1):
            name, arg = ops[i]
            if name in GEOMETRIC:
                inverses[i] = np.linalg.inv(affine_matrix(name, arg, canvas[1], canvas[0]))
                regions.append(source_region(inverses[i], regions[-1], canvas))
            else:
                regions.append(regions[-1])
        regions.reverse()  # regions[j - k]: what op j reads; regions[j - k + 1]: what it writes
        y0, x0, h, w = regions[0]
        arr = arr[:, y0 : y0 + h, x0 : x0 + w]
        for j in range(k, len(ops)):
            name, arg = ops[j]
            if name in GEOMETRIC:
                arr = warp_affine_region(arr, regions[j - k], inverses[j], regions[j - k + 1], canvas,
                                         self.interpolation, FILL[0])
            else:
                arr = self._replay(np.ascontiguousarray(arr), [(name, arg)])
        return arr

    def _replay(self, frames: np.ndarray, ops: list[tuple[str, float]]) -> np.ndarray:
        """``apply_frames`` on whole frames."""
        arr, imgs = frames, None
        for name, arg in ops:
            if self.backend == "cv2" and (name in GEOMETRIC or name in _CLIP_FN):
                if imgs is not None:
                    arr, imgs = np.stack([np.asarray(i) for i in imgs]), None
                if name in GEOMETRIC:
                    h, w = arr.shape[1:3]
                    inv = np.linalg.inv(affine_matrix(name, arg, w, h))
                    arr = warp_affine_clip(np.ascontiguousarray(arr), inv, self.interpolation, FILL[0])
                else:
                    arr = _CLIP_FN[name](np.ascontiguousarray(arr), arg)
            elif name in LUT_OPS:
                if imgs is not None:
                    arr, imgs = np.stack([np.asarray(i) for i in imgs]), None
                t, h, w, c = arr.shape
                arr = cv2.LUT(np.ascontiguousarray(arr).reshape(t * h, w, c), self._lut(name, arg)).reshape(t, h, w, c)
            else:
                if imgs is None:
                    imgs = [Image.fromarray(f) for f in arr]
                imgs = [self.apply_image(i, [(name, arg)]) for i in imgs]
        return np.stack([np.asarray(i) for i in imgs]) if imgs is not None else arr

    @staticmethod
    def apply_boxes(boxes: torch.Tensor, mask: torch.Tensor, ops: list[tuple[str, float]], width: int,
                    height: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Moves pixel boxes ``(T, O, 4)`` through the geometric ops of ``ops`` (photometric ops keep them)."""
        for name, arg in ops:
            if name in GEOMETRIC:
                boxes, mask = transform_boxes(boxes, mask, affine_matrix(name, arg, width, height), width, height)
        return boxes, mask

    def apply(self, clip: Clip, ops: list[tuple[str, float]]) -> Clip:
        """Replays ``ops`` (from ``sample``) on every frame of a uint8 clip and on its boxes."""
        if not ops:
            return clip
        frames = clip.frames.permute(0, 2, 3, 1).contiguous().numpy()  # (T,H,W,C) uint8
        out = self.apply_frames(frames, ops)
        boxes, mask = self.apply_boxes(clip.boxes, clip.mask, ops, clip.width, clip.height)
        # (T,C,H,W) view of the (T,H,W,C) array: the crop that follows copies only the window it keeps
        return clip.evolve(frames=torch.from_numpy(out).permute(0, 3, 1, 2), boxes=boxes, mask=mask)
