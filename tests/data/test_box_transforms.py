"""Boxes follow the pixels: draw each box as a filled rectangle, transform, and compare the box
with the bounding box of the transformed rectangle's pixels."""

import numpy as np
import pytest
import torch
from PIL import Image

from svit.config.defaults import get_cfg
from svit.data.transforms import geometry as G
from svit.data.transforms.clip import Clip
from svit.data.transforms.pipeline import ClipTransform
from svit.data.transforms.randaugment import ClipRandAugment, parse_randaugment

H, W = 60, 80
BOX = (20.0, 14.0, 52.0, 44.0)  # x1 y1 x2 y2, pixel-aligned


def rect_clip(box=BOX, t=2, value=255) -> Clip:
    frames = torch.zeros(t, 3, H, W, dtype=torch.uint8)
    x1, y1, x2, y2 = (int(v) for v in box)
    frames[:, :, y1:y2, x1:x2] = value
    boxes = torch.zeros(t, 2, 4)
    boxes[:, 0] = torch.tensor(box)
    mask = torch.tensor([[True, False]] * t)
    return Clip(frames, boxes, mask, 0)


def pixel_bbox(frame: torch.Tensor, thr: float):
    on = frame.float().mean(0) > thr
    ys, xs = torch.nonzero(on, as_tuple=True)
    return (xs.min().item(), ys.min().item(), xs.max().item() + 1, ys.max().item() + 1)


def iou(a, b):
    iw = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


@pytest.mark.parametrize(
    "op,arg",
    [
        ("ShearX", 0.3),
        ("ShearX", -0.25),
        ("ShearY", 0.3),
        ("ShearY", -0.3),
        ("TranslateXRel", 0.2),
        ("TranslateYRel", -0.3),
        ("TranslateXRel", -0.1),
    ],
)
def test_affine_ops_keep_boxes_on_the_pixels(op, arg):
    ra = ClipRandAugment("rand-m9-n1", "bilinear")
    out = ra.apply(rect_clip(), [(op, arg)])
    for t in range(2):
        assert out.mask[t, 0] and not out.mask[t, 1]
        assert iou(out.boxes[t, 0].tolist(), pixel_bbox(out.frames[t], 160)) >= 0.9
    assert (out.boxes[:, 1] == 0).all()


@pytest.mark.parametrize("deg", [30.0, -30.0, 17.0])
def test_rotate_box_encloses_rotated_rectangle(deg):
    out = ClipRandAugment("rand-m9-n1", "bilinear").apply(rect_clip(), [("Rotate", deg)])
    px = pixel_bbox(out.frames[0], 160)
    b = out.boxes[0, 0].tolist()
    assert b[0] <= px[0] + 1 and b[1] <= px[1] + 1 and b[2] >= px[2] - 1 and b[3] >= px[3] - 1
    assert iou(b, px) > 0.6  # and it is not trivially the whole frame


def test_photometric_ops_leave_boxes_and_same_params_for_all_frames():
    ra = ClipRandAugment("rand-m9-n4-mstd0.5-inc1")
    clip = rect_clip(t=3)
    clip.frames[:, 0] = 90  # some colour so enhance ops act
    out = ra.apply(clip, [("ColorIncreasing", 1.7), ("SolarizeIncreasing", 128), ("Rotate", 10.0)])
    assert torch.equal(out.frames[0], out.frames[1]) and torch.equal(out.frames[1], out.frames[2])
    assert not torch.equal(out.frames[0], clip.frames[0])


def test_translate_out_of_canvas_masks_box():
    out = ClipRandAugment("rand-m9-n1").apply(rect_clip(), [("TranslateXRel", 0.45), ("TranslateXRel", 0.45)])
    assert not out.mask[:, 0].any() and (out.boxes == 0).all()


def test_parse_randaugment_string():
    c = parse_randaugment("rand-m7-n4-mstd0.5-inc1")
    assert (c.magnitude, c.num_ops, c.magnitude_std, c.prob) == (7.0, 4, 0.5, 0.5)
    assert "PosterizeIncreasing" in c.ops and "Rotate" in c.ops and len(c.ops) == 15
    with pytest.raises(ValueError, match="zz1"):
        parse_randaugment("rand-m7-zz1")


def test_sampled_magnitudes_clipped_and_ops_fire_half_the_time():
    ra = ClipRandAugment("rand-m9.8-n4-mstd3-inc1")
    rng = np.random.default_rng(0)
    fired = [ra.sample(rng) for _ in range(500)]
    rate = sum(len(f) for f in fired) / (4 * 500)
    assert 0.45 < rate < 0.55
    rot = [abs(a) for ops in fired for n, a in ops if n == "Rotate"]
    assert max(rot) <= 30.0 + 1e-9 and min(rot) >= 0


@pytest.mark.parametrize("seed", range(6))
def test_random_resized_crop_and_flip_follow_pixels(seed):
    rng = np.random.default_rng(seed)
    clip = rect_clip()
    clip = clip.evolve(frames=clip.frames.float() / 255)
    out = G.random_resized_crop(clip, 48, (0.3, 1.0), (0.75, 4 / 3), rng)
    if rng.random() < 0.5:
        out = G.hflip(out, {0: 5})
    if out.mask[0, 0]:
        b = out.boxes[0, 0].tolist()
        if (b[2] - b[0]) > 4 and (b[3] - b[1]) > 4:
            assert iou(b, pixel_bbox(out.frames[0] * 255, 127)) >= 0.9


def test_flip_swaps_label_and_mirrors_box():
    out = G.hflip(rect_clip(), {0: 7, 7: 0})
    assert out.label == 7
    assert out.boxes[0, 0].tolist() == [W - BOX[2], BOX[1], W - BOX[0], BOX[3]]
    assert iou(out.boxes[0, 0].tolist(), pixel_bbox(out.frames[0], 127)) == 1.0


def test_test_crops_three_positions_with_ceil_centre():
    clip = rect_clip()
    clip.frames[:] = torch.arange(W, dtype=torch.uint8)  # pixel value = x coordinate
    offs = []
    for i in range(3):
        out = G.spatial_crop(clip, 50, i, 3)
        assert out.frames.shape[-2:] == (50, 50)
        offs.append(int(out.frames[0, 0, 0, 0]))
        if out.mask[0, 0]:
            assert out.boxes[0, 0, 0].item() == max(0, BOX[0] - offs[-1])
    assert offs == [0, 15, 30]  # centre = ceil((80-50)/2)
    tall = G.spatial_crop(
        Clip(torch.zeros(1, 3, 81, 50), torch.zeros(1, 1, 4), torch.zeros(1, 1, dtype=torch.bool), 0), 50, 1, 3
    )
    assert tall.frames.shape[-2:] == (50, 50)


def test_crop_drops_box_outside():
    out = G.crop(rect_clip(), 0, 60, 40, 20)
    assert not out.mask[0, 0]


def _pipeline_cfg(**kw):
    cfg = get_cfg()
    cfg.DATA.TRAIN_CROP_SIZE = cfg.DATA.TEST_CROP_SIZE = 40
    cfg.DATA.TRAIN_JITTER_SCALES_RELATIVE = [0.4, 1.0]
    cfg.DATA.TRAIN_JITTER_ASPECT_RELATIVE = [0.75, 1.3333]
    cfg.AUG.ENABLE = False
    for k, v in kw.items():
        setattr(cfg.DATA, k, v)
    return cfg


def test_pipeline_output_contract_and_normalised_boxes():
    cfg = _pipeline_cfg()
    tr = ClipTransform(cfg, "train", {0: 1, 1: 0})
    c = rect_clip(t=3)
    frames = c.frames.permute(0, 2, 3, 1).numpy()
    labels = set()
    for s in range(12):
        inp, boxes, mask, label = tr(frames, c.boxes.numpy(), c.mask.numpy(), 0, np.random.default_rng(s))
        assert inp.shape == (3, 3, 40, 40) and inp.dtype == torch.float32
        assert boxes.shape == (3, 2, 4) and mask.shape == (3, 2) and mask.dtype == torch.bool
        assert (boxes >= 0).all() and (boxes <= 1).all() and (boxes[~mask] == 0).all()
        labels.add(label)
        if mask[0, 0]:
            px = inp[:, 0] * 0.225 + 0.45
            pb = pixel_bbox(px * 255, 127)
            assert iou((boxes[0, 0] * 40).tolist(), pb) >= 0.85
    assert labels == {0, 1}  # flips happen and swap the label


def test_bgr_channel_order_and_normalisation():
    cfg = _pipeline_cfg(CHANNEL_ORDER="BGR", MEAN=[0.1, 0.2, 0.3], STD=[0.5, 0.5, 0.5])
    frames = np.zeros((1, 40, 40, 3), np.uint8)
    frames[..., 0] = 255  # pure red
    inp, *_ = ClipTransform(cfg, "val")(
        frames, np.zeros((1, 2, 4)), np.zeros((1, 2), bool), 0, np.random.default_rng(0)
    )
    assert torch.allclose(inp[2], torch.tensor((1.0 - 0.3) / 0.5))  # red is the last channel
    assert torch.allclose(inp[0], torch.tensor((0.0 - 0.1) / 0.5))


def test_fixed_resize_then_tsn_multiscale_keeps_boxes():
    cfg = _pipeline_cfg(RESIZE_HW=[48, 64], TRAIN_CROP_MODE="tsn_multiscale")
    cfg.DATA.TRAIN_CROP_SIZE = 40
    tr = ClipTransform(cfg, "train")
    c = rect_clip(t=2)
    frames = c.frames.permute(0, 2, 3, 1).numpy()
    for s in range(8):
        inp, boxes, mask, _ = tr(frames, c.boxes.numpy(), c.mask.numpy(), 0, np.random.default_rng(s))
        assert inp.shape == (3, 2, 40, 40)
        if mask[0, 0]:
            pb = pixel_bbox((inp[:, 0] * 0.225 + 0.45) * 255, 127)
            assert iou((boxes[0, 0] * 40).tolist(), pb) >= 0.85


@pytest.mark.parametrize(
    "ops",
    [
        [("Invert", 0.0)],
        [("PosterizeIncreasing", 2)],
        [("SolarizeIncreasing", 100)],
        [("SolarizeAdd", 77)],
        [("BrightnessIncreasing", 1.37)],
        [("Brightness", 0.4)],
        [
            ("Posterize", 3),
            ("Rotate", 12.0),
            ("Solarize", 128),
            ("ColorIncreasing", 1.5),
            ("BrightnessIncreasing", 0.61),
            ("Equalize", 0.0),
        ],
    ],
)
def test_clip_table_ops_equal_per_frame_pil(ops):
    """Table ops run once per clip (cv2.LUT of a table read off the op itself) and give exactly the
    frames that PIL gives frame by frame, also mixed with per-frame ops."""
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (3, 17, 23, 3), dtype=np.uint8)
    ra = ClipRandAugment("rand-m9-n2")
    want = np.stack([np.asarray(ra.apply_image(Image.fromarray(f), ops)) for f in frames])
    got = ra.apply_frames(frames, ops)
    assert got.dtype == np.uint8 and got.shape == frames.shape
    np.testing.assert_array_equal(got, want)
