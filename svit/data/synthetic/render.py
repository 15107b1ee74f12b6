"""Rendering one synthetic video: frames (RGB uint8) and its Something-Else box records.

Objects are saturated coloured shapes on a plain, slightly noisy background; a skin-coloured hand
ellipse holds object 0 (touching it from below), so HAOG contact targets are meaningful. Boxes are
the exact extents of the drawn shapes, in pixels, clipped to the frame.
"""

from __future__ import annotations

import cv2
import numpy as np

from svit.data.synthetic.classes import SynthClass

COLOURS = {
    "red": (220, 40, 40),
    "green": (40, 190, 60),
    "blue": (50, 80, 230),
    "yellow": (235, 215, 40),
    "purple": (150, 60, 200),
    "orange": (245, 140, 30),
    "cyan": (40, 200, 210),
    "white": (240, 240, 240),
}
SHAPES = ("square", "circle", "triangle", "diamond")
SKIN = (225, 180, 140)


def _draw_shape(img: np.ndarray, shape: str, box: tuple[float, float, float, float], colour) -> None:
    x1, y1, x2, y2 = box
    if shape == "square":
        pts = np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]])
    elif shape == "triangle":
        pts = np.array([[(x1 + x2) / 2, y1], [x2, y2], [x1, y2]])
    elif shape == "diamond":
        pts = np.array([[(x1 + x2) / 2, y1], [x2, (y1 + y2) / 2], [(x1 + x2) / 2, y2], [x1, (y1 + y2) / 2]])
    else:
        centre = (int(round((x1 + x2) / 2 * 16)), int(round((y1 + y2) / 2 * 16)))
        axes = (max(1, int(round((x2 - x1) / 2 * 16))), max(1, int(round((y2 - y1) / 2 * 16))))
        cv2.ellipse(img, centre, axes, 0, 0, 360, colour, -1, cv2.LINE_AA, shift=4)
        return
    cv2.fillPoly(img, [np.round(pts * 16).astype(np.int32)], colour, cv2.LINE_AA, shift=4)


def _clip_box(box, size: int):
    x1, y1, x2, y2 = (min(max(v, 0.0), float(size)) for v in box)
    return (x1, y1, x2, y2) if (x2 - x1) >= 1 and (y2 - y1) >= 1 else None


def render_video(cls: SynthClass, video_id: str, num_frames: int, size: int, rng: np.random.Generator):
    """Returns ``(frames (F,S,S,3) uint8 RGB, box_records, placeholders)`` for one video."""
    traj = cls.make(rng)
    names = list(COLOURS)
    picks = rng.choice(len(names), size=cls.num_objects, replace=False)
    objects = [(names[i], SHAPES[int(rng.integers(len(SHAPES)))]) for i in picks]
    placeholders = [f"{c} {s}" for c, s in objects]
    bg = np.array(rng.integers(60, 140, size=3), np.float32)
    noise_std = rng.uniform(2, 6)
    background = np.clip(bg + noise_std * rng.standard_normal((size, size, 3), dtype=np.float32), 0, 255).astype(
        np.uint8
    )
    t0, t1 = rng.uniform(0.0, 0.2), rng.uniform(0.8, 1.0)
    hand_side = rng.uniform(-0.25, 0.25)
    frames, records = [], []
    for f in range(num_frames):
        q = f / max(1, num_frames - 1)
        p = float(np.clip((q - t0) / (t1 - t0), 0, 1))
        p = p * p * (3 - 2 * p)  # smooth start and stop
        img = background.copy()  # static noisy background: costs nothing per frame
        labels = []
        state = traj(p)
        # draw the second object first so the moving one (object 0) is on top
        for k in reversed(range(cls.num_objects)):
            cx, cy, w, h = (v * size for v in state[k])
            box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            _draw_shape(img, objects[k][1], box, COLOURS[objects[k][0]])
            cb = _clip_box(box, size)
            if cb is not None:
                labels.insert(
                    0,
                    {
                        "box2d": dict(zip(("x1", "y1", "x2", "y2"), (round(v, 2) for v in cb))),
                        "category": placeholders[k],
                        "standard_category": f"{k:04d}",
                        "gt_annotation": f"object {k}",
                    },
                )
        cx, cy, w, h = (v * size for v in state[0])
        hw, hh = 0.55 * w, 0.65 * h
        hx, hy = cx + hand_side * w, cy + h / 2 + hh / 2 - 0.15 * h  # overlaps the object's lower edge
        hbox = (hx - hw / 2, hy - hh / 2, hx + hw / 2, hy + hh / 2)
        _draw_shape(img, "circle", hbox, SKIN)
        cb = _clip_box(hbox, size)
        if cb is not None:
            labels.insert(
                0,
                {
                    "box2d": dict(zip(("x1", "y1", "x2", "y2"), (round(v, 2) for v in cb))),
                    "category": "hand",
                    "standard_category": "hand",
                    "gt_annotation": "object hand",
                },
            )
        frames.append(img)
        records.append(
            {
                "name": f"{video_id}/{f + 1:04d}.jpg",
                "labels": labels,
                "gt_placeholders": placeholders,
                "nr_instances": len(labels),
            }
        )
    return np.stack(frames), records, placeholders
