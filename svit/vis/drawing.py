"""Frames as pictures: de-normalising clips, drawing boxes and contact states, overlaying masks and
heat maps, writing GIFs.

Everything works on ``uint8`` RGB arrays ``(H, W, 3)`` (numpy), so what a test reads back is exactly
what a figure shows: a box is drawn by setting its outline pixels to its colour, a mask overlay is a
per-pixel blend whose mean over the picture is the mask's mean times the blend.
"""
from __future__ import annotations

import os
from typing import Sequence

import numpy as np
import torch

#: Slot colours of the SViT boxes ``[hand0, hand1, object0, object1]`` (RGB).
SLOT_COLORS = ((255, 64, 64), (255, 160, 0), (64, 160, 255), (64, 255, 128))
SLOT_NAMES = ("hand 0", "hand 1", "object 0", "object 1")
#: Contact states of svit/data/haog.py and what they are called in legends.
CONTACT_NAMES = {-1: "missing", 0: "no contact", 3: "portable object"}


def clip_frames(clip: torch.Tensor, mean, std, channel_order: str = "RGB") -> np.ndarray:
    """``(C, T, H, W)`` normalised clip -> ``(T, H, W, 3)`` uint8 RGB frames (x·std + mean, x255)."""
    if clip.dim() != 4:
        raise ValueError(f"expected a (C, T, H, W) clip, got {tuple(clip.shape)}")
    x = clip.detach().float().cpu()
    m = torch.tensor(list(mean), dtype=torch.float32).view(-1, 1, 1, 1)
    s = torch.tensor(list(std), dtype=torch.float32).view(-1, 1, 1, 1)
    x = x * s + m
    if channel_order.upper() == "BGR":
        x = x.flip(0)
    frames = (x.clamp(0, 1) * 255 + 0.5).to(torch.uint8).permute(1, 2, 3, 0).numpy()
    return np.ascontiguousarray(frames)


def draw_box(img: np.ndarray, box, color, thickness: int = 1) -> np.ndarray:
    """Draws the outline of pixel box ``x1, y1, x2, y2`` (inclusive, clipped to the picture) in place."""
    h, w = img.shape[:2]
    x1, y1, x2, y2 = (int(round(float(v))) for v in box)
    x1, x2 = sorted((max(0, min(w - 1, x1)), max(0, min(w - 1, x2))))
    y1, y2 = sorted((max(0, min(h - 1, y1)), max(0, min(h - 1, y2))))
    c = np.asarray(color, dtype=np.uint8)
    for k in range(thickness):
        ya, yb, xa, xb = min(y1 + k, y2), max(y2 - k, y1), min(x1 + k, x2), max(x2 - k, x1)
        img[ya, x1:x2 + 1] = c
        img[yb, x1:x2 + 1] = c
        img[y1:y2 + 1, xa] = c
        img[y1:y2 + 1, xb] = c
    return img


def draw_slot_boxes(img: np.ndarray, boxes, mask) -> np.ndarray:
    """Boxes ``(S, 4)`` of the slots whose ``mask`` is set, each in its slot colour."""
    for s, (box, keep) in enumerate(zip(np.asarray(boxes), np.asarray(mask))):
        if keep:
            draw_box(img, box, SLOT_COLORS[s % len(SLOT_COLORS)])
    return img


def overlay(img: np.ndarray, weight: np.ndarray, color=(255, 0, 0), alpha: float = 0.5) -> np.ndarray:
    """Blends ``color`` into ``img`` by ``alpha · weight`` per pixel (``weight`` in [0, 1], ``(H, W)``)."""
    a = (alpha * np.clip(weight, 0, 1))[..., None]
    out = img.astype(np.float32) * (1 - a) + np.asarray(color, np.float32) * a
    return (out + 0.5).astype(np.uint8)


def heat_overlay(img: np.ndarray, heat: np.ndarray, alpha: float = 0.5, lo: float | None = None,
                 hi: float | None = None) -> np.ndarray:
    """A heat map ``(h, w)`` (any scale, resized to the picture) in the jet colours over ``img``,
    scaled from ``lo`` to ``hi`` (default: its own min and max)."""
    from matplotlib import colormaps

    h = _resize(np.asarray(heat, np.float32), img.shape[:2])
    lo = float(h.min()) if lo is None else lo
    hi = float(h.max()) if hi is None else hi
    h = np.clip((h - lo) / max(hi - lo, 1e-12), 0, 1)
    rgb = colormaps["jet"](h)[..., :3] * 255
    out = img.astype(np.float32) * (1 - alpha) + rgb * alpha
    return (out + 0.5).astype(np.uint8)


def _resize(a: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if a.shape == tuple(size):
        return a
    t = torch.from_numpy(np.ascontiguousarray(a))[None, None]
    return torch.nn.functional.interpolate(t, size=size, mode="bilinear", align_corners=False)[0, 0].numpy()


def to_palette_png(path: str, keep: Sequence[tuple[int, int, int]] = SLOT_COLORS) -> str:
    """Rewrites the PNG at ``path`` with a 256-colour palette (Pillow): a third of the size or less
    for figures of flat colours and frames, e.g. for pictures committed to the docs.

    The colours in ``keep`` (default: the box slot colours) get their own palette entries, so a
    one-pixel box outline keeps its exact colour: an adaptive palette alone spends its entries on the
    frequent colours and maps rare ones to a neighbour (orange hand-1 boxes came out red). Pixels are
    mapped to the nearest entry without dithering, so flat colours stay flat."""
    from PIL import Image

    keep = list(dict.fromkeys(tuple(int(v) for v in c) for c in keep))
    if len(keep) > 255:
        raise ValueError(f"to_palette_png: {len(keep)} colours to keep, at most 255")
    free = 256 - len(keep)  # entries left to the adaptive palette
    with Image.open(path) as im:
        rgb = im.convert("RGB")
    entries = rgb.quantize(free).getpalette()[: 3 * free]
    entries += [0] * (3 * free - len(entries))
    palette = Image.new("P", (1, 1))
    palette.putpalette(entries + [v for c in keep for v in c])
    small = rgb.quantize(palette=palette, dither=Image.Dither.NONE)
    small.save(path, format="PNG", optimize=True)
    return path


def write_gif(frames: list[np.ndarray], path: str, fps: float = 4.0) -> str:
    """An animated GIF of uint8 RGB frames (Pillow), written via a temporary file."""
    from PIL import Image

    if not frames:
        raise ValueError(f"{path}: no frames to write")
    os.makedirs(os.path.dirname(os.path.abspath(path)) or ".", exist_ok=True)
    images = [Image.fromarray(np.asarray(f, np.uint8)) for f in frames]
    tmp = path + ".tmp.gif"
    images[0].save(tmp, save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0)
    os.replace(tmp, path)
    return path


def write_mp4(frames: list[np.ndarray], path: str, fps: float = 4.0) -> str:
    """An H.264 MP4 of uint8 RGB frames through PyAV (even sizes are padded)."""
    import av

    frames = [np.asarray(f, np.uint8) for f in frames]
    h, w = frames[0].shape[:2]
    ph, pw = h + h % 2, w + w % 2
    tmp = path + ".tmp.mp4"
    with av.open(tmp, "w") as container:
        stream = container.add_stream("libx264", rate=int(round(fps)))
        stream.width, stream.height, stream.pix_fmt = pw, ph, "yuv420p"
        for f in frames:
            padded = np.zeros((ph, pw, 3), np.uint8)
            padded[:h, :w] = f
            container.mux(stream.encode(av.VideoFrame.from_ndarray(padded, format="rgb24")))
        container.mux(stream.encode())
    os.replace(tmp, path)
    return path


def write_animation(frames: list[np.ndarray], path: str, fps: float = 4.0) -> str:
    """GIF or MP4 by the extension of ``path``."""
    return write_mp4(frames, path, fps) if path.lower().endswith(".mp4") else write_gif(frames, path, fps)


def hstack(images: list[np.ndarray], gap: int = 2) -> np.ndarray:
    """Images side by side (same height), white gaps between."""
    h = max(i.shape[0] for i in images)
    parts = []
    for k, im in enumerate(images):
        if im.shape[0] < h:
            im = np.concatenate([im, np.full((h - im.shape[0], *im.shape[1:]), 255, np.uint8)])
        parts.append(im)
        if k + 1 < len(images):
            parts.append(np.full((h, gap, 3), 255, np.uint8))
    return np.concatenate(parts, axis=1)
