"""The docs' 256-colour PNGs keep the box slot colours exact (a rare colour is not merged away)."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from svit.vis.drawing import SLOT_COLORS, draw_box, to_palette_png


def _busy_frame_with_boxes(tmp_path) -> tuple[str, np.ndarray]:
    """Thousands of colours (a smooth purple-to-cyan field with noise), and a thin box per slot: the
    boxes are a fraction of a percent of the pixels, as in the predict/data pictures."""
    rng = np.random.default_rng(0)
    h, w = 240, 320
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.stack([120 + 60 * xx / w, 40 + 90 * yy / h, 150 + 80 * (xx + yy) / (h + w)], -1)
    img = np.clip(img + rng.normal(0, 12, img.shape), 0, 255).astype(np.uint8)
    for s, color in enumerate(SLOT_COLORS):
        draw_box(img, (20 + 60 * s, 30, 60 + 60 * s, 90), color)
    path = str(tmp_path / "frame.png")
    Image.fromarray(img).save(path)
    return path, img


def test_slot_colours_survive_the_palette(tmp_path):
    path, img = _busy_frame_with_boxes(tmp_path)
    to_palette_png(path)
    with Image.open(path) as im:
        assert im.mode == "P"
        out = np.asarray(im.convert("RGB"))
    for color in SLOT_COLORS:
        where = np.all(img == np.array(color, np.uint8), axis=-1)
        assert where.sum() > 100
        # every pixel of the box outline still has its exact slot colour
        assert np.all(out[where] == np.array(color, np.uint8)), color


def test_the_rest_of_the_picture_stays_close(tmp_path):
    path, img = _busy_frame_with_boxes(tmp_path)
    to_palette_png(path)
    with Image.open(path) as im:
        out = np.asarray(im.convert("RGB")).astype(np.float32)
    err = np.abs(out - img.astype(np.float32)).mean()
    assert err < 5.0, err  # a 252-colour adaptive palette of a noisy field, no dithering


def test_too_many_colours_to_keep_is_refused(tmp_path):
    path, _ = _busy_frame_with_boxes(tmp_path)
    with pytest.raises(ValueError, match="256 colours to keep"):
        to_palette_png(path, keep=[(i, 0, 0) for i in range(256)])
