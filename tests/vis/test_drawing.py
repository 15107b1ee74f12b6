"""What the drawing helpers put into the pixels."""
from __future__ import annotations

import numpy as np
import torch

from svit.vis.drawing import SLOT_COLORS, clip_frames, draw_box, draw_slot_boxes, heat_overlay, overlay, write_gif


def test_box_outline_has_its_colour_at_its_coordinates_and_nowhere_else():
    img = np.zeros((20, 30, 3), np.uint8)
    draw_box(img, (3, 4, 12, 15), (10, 200, 30))
    colour = np.all(img == (10, 200, 30), axis=-1)
    for x in range(3, 13):
        assert colour[4, x] and colour[15, x]
    for y in range(4, 16):
        assert colour[y, 3] and colour[y, 12]
    assert not colour[5:15, 4:12].any()  # the inside is untouched
    assert colour.sum() == 2 * 10 + 2 * 12 - 4  # the outline only


def test_slot_boxes_only_for_present_slots():
    img = np.zeros((16, 16, 3), np.uint8)
    boxes = np.array([[1, 1, 6, 6], [8, 8, 14, 14]], np.float32)
    draw_slot_boxes(img, boxes, [False, True])
    assert np.all(img[8, 8] == SLOT_COLORS[1])
    assert not np.all(img == SLOT_COLORS[0], axis=-1).any()


def test_overlay_mean_equals_mask_mean():
    rng = np.random.default_rng(0)
    mask = rng.random((24, 24)).astype(np.float32)
    black = np.zeros((24, 24, 3), np.uint8)
    red = overlay(black, mask, (255, 0, 0), alpha=1.0)
    assert abs(red[..., 0].mean() / 255 - mask.mean()) < 1 / 255
    assert red[..., 1:].max() == 0
    half = overlay(black, mask, (255, 0, 0), alpha=0.5)
    assert abs(half[..., 0].mean() / 255 - 0.5 * mask.mean()) < 1 / 255


def test_denormalised_frames_are_the_original_pixels():
    rng = np.random.default_rng(1)
    frames = rng.integers(0, 256, (3, 8, 8, 3), dtype=np.uint8)
    mean, std = [0.45, 0.4, 0.35], [0.225, 0.2, 0.25]
    x = torch.from_numpy(frames).float().div(255).permute(3, 0, 1, 2)  # (C, T, H, W)
    x = (x - torch.tensor(mean).view(3, 1, 1, 1)) / torch.tensor(std).view(3, 1, 1, 1)
    assert np.array_equal(clip_frames(x, mean, std), frames)
    assert np.array_equal(clip_frames(x.flip(0), mean[::-1], std[::-1], "BGR"), frames)


def test_heat_overlay_is_hottest_where_the_map_peaks():
    heat = np.zeros((4, 4), np.float32)
    heat[1, 2] = 1.0
    img = heat_overlay(np.zeros((16, 16, 3), np.uint8), heat, alpha=1.0)
    red_minus_blue = img[..., 0].astype(int) - img[..., 2].astype(int)
    y, x = np.unravel_index(red_minus_blue.argmax(), red_minus_blue.shape)
    assert 3 <= y <= 7 and 7 <= x <= 11  # the map's cell (1, 2) at 4 px per cell


def test_gif_has_every_frame(tmp_path):
    from PIL import Image

    frames = [np.full((8, 8, 3), v, np.uint8) for v in (0, 120, 250)]
    path = write_gif(frames, str(tmp_path / "a.gif"))
    with Image.open(path) as im:
        assert im.n_frames == 3


def test_mp4_has_every_frame(tmp_path):
    import av

    from svit.vis.drawing import write_mp4

    frames = [np.full((9, 11, 3), v, np.uint8) for v in (0, 80, 160, 240)]  # odd sizes are padded
    path = write_mp4(frames, str(tmp_path / "a.mp4"))
    with av.open(path) as container:
        decoded = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(decoded) == 4 and decoded[0].shape == (10, 12, 3)
    assert abs(int(decoded[2][:9, :11].mean()) - 160) < 8
