"""AUG.BACKEND "cv2" (clip-wise augmentation) against "pil" (the former per-frame PIL path).

Stated tolerances: photometric clip ops equal PIL bit for bit; the OpenCV affine resampling has the
same geometry (fill region, boxes) and differs from PIL's bicubic only by the kernel (a = -0.75 vs
-1, 1/32-pixel grid): per op mean |diff| < 0.75 grey levels, no bias (|mean diff| < 0.1), max <= 6
on textured frames; with bilinear it is rounding only (max 1). The whole training transform draws
the same random numbers in the same order and gives the same boxes; its frames differ by < 1 grey
level on average (float rounding only, < 0.02, when no geometric op fired).
"""

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from timm.data import auto_augment as taa

from svit.config.defaults import get_cfg
from svit.data.transforms import clip_photometric as CP
from svit.data.transforms import geometry as G
from svit.data.transforms.clip import Clip
from svit.data.transforms.pipeline import ClipTransform
from svit.data.transforms.randaugment import GEOMETRIC, ClipRandAugment, affine_matrix
from svit.data.transforms.warp import outside_canvas

GEOMETRIC_CASES = [("Rotate", 13.0), ("Rotate", -27.3), ("ShearX", 0.21), ("ShearY", -0.13),
                   ("TranslateXRel", 0.123), ("TranslateYRel", -0.31)]


def textured(t=3, h=48, w=64, seed=0) -> np.ndarray:
    """Blurred noise: natural-image-like gradients, every grey level present."""
    rng = np.random.default_rng(seed)
    f = rng.integers(0, 256, (t * h, w, 3), dtype=np.uint8)
    return cv2.GaussianBlur(f, (5, 5), 1.2).reshape(t, h, w, 3)


def per_frame_pil(fn, frames):
    return np.stack([np.asarray(fn(Image.fromarray(f))) for f in frames])


@pytest.mark.parametrize("kind", ["noise", "narrow", "two_levels", "flat"])
def test_clip_photometric_ops_equal_pil_bit_for_bit(kind):
    rng = np.random.default_rng(3)
    shape = (3, 19, 23, 3)
    frames = {
        "noise": rng.integers(0, 256, shape, dtype=np.uint8),
        "narrow": rng.integers(100, 106, shape, dtype=np.uint8),
        "two_levels": (rng.integers(0, 2, shape) * 200 + 20).astype(np.uint8),
        "flat": np.full(shape, 77, np.uint8),
    }[kind]
    frames[1] //= 2  # frames differ: the per-frame statistics must stay per frame
    np.testing.assert_array_equal(CP.autocontrast_clip(frames), per_frame_pil(taa.auto_contrast, frames))
    np.testing.assert_array_equal(CP.equalize_clip(frames), per_frame_pil(taa.equalize, frames))
    for factor in (0.1, 0.37, 1.0, 1.63, 1.9):
        np.testing.assert_array_equal(CP.color_clip(frames, factor),
                                      per_frame_pil(lambda i: taa.color(i, factor), frames))
        np.testing.assert_array_equal(CP.contrast_clip(frames, factor),
                                      per_frame_pil(lambda i: taa.contrast(i, factor), frames))
        np.testing.assert_array_equal(CP.sharpness_clip(frames, factor),
                                      per_frame_pil(lambda i: taa.sharpness(i, factor), frames))
        tiny = frames[:, :2]  # no interior: PIL's own answer
        np.testing.assert_array_equal(CP.sharpness_clip(tiny, factor),
                                      per_frame_pil(lambda i: taa.sharpness(i, factor), tiny))


def _pil_and_cv2(name, arg, frames, interpolation):
    pil = ClipRandAugment("rand-m9-n1", interpolation, "pil").apply_frames(frames, [(name, arg)])
    cv = ClipRandAugment("rand-m9-n1", interpolation, "cv2").apply_frames(frames, [(name, arg)])
    return pil.astype(int), cv.astype(int)


@pytest.mark.parametrize("name,arg", GEOMETRIC_CASES)
def test_geometric_ops_same_geometry_as_pil(name, arg):
    """On a flat frame both interpolations return the frame's value exactly, so any difference would
    be a different fill region: the sampled geometry is PIL's to the pixel."""
    frames = np.full((2, 40, 56, 3), 10, np.uint8)
    pil, cv = _pil_and_cv2(name, arg, frames, "bicubic")
    np.testing.assert_array_equal(cv, pil)
    assert (pil == 128).any() or name == "TranslateYRel" and abs(arg * 40) < 1  # some fill was written
    inv = np.linalg.inv(affine_matrix(name, arg, 56, 40))
    np.testing.assert_array_equal(outside_canvas(inv, (0, 0, 40, 56), (40, 56)), pil[0, ..., 0] == 128)


@pytest.mark.parametrize("name,arg", GEOMETRIC_CASES)
def test_geometric_ops_close_to_pil(name, arg):
    frames = textured()
    pil, cv = _pil_and_cv2(name, arg, frames, "bicubic")
    d = cv - pil
    assert np.abs(d).mean() < 0.75 and abs(d.mean()) < 0.1 and np.abs(d).max() <= 6
    pil, cv = _pil_and_cv2(name, arg, frames, "bilinear")
    d = cv - pil
    assert np.abs(d).max() <= 1 and np.abs(d).mean() < 0.15


def test_windowed_ops_equal_whole_frame_then_crop():
    """With a crop window to follow, the trailing geometric/pointwise ops run on what the window needs
    only; the result is that window of the whole-frame result, bit for bit."""
    ra = ClipRandAugment("rand-m9-n4-mstd0.5-inc1", "bicubic", "cv2")
    frames = textured(t=2, h=40, w=52, seed=1)
    rng = np.random.default_rng(0)
    seen_geometric = 0
    for _ in range(60):
        ops = ra.sample(rng) + [("Rotate", float(rng.uniform(-30, 30)))]
        y0, x0 = int(rng.integers(0, 35)), int(rng.integers(0, 45))
        h, w = int(rng.integers(1, 40 - y0 + 1)), int(rng.integers(1, 52 - x0 + 1))
        whole = ra.apply_frames(frames, ops)[:, y0 : y0 + h, x0 : x0 + w]
        np.testing.assert_array_equal(ra.apply_frames(frames, ops, (y0, x0, h, w)), whole)
        seen_geometric += sum(n in GEOMETRIC for n, _ in ops)
    assert seen_geometric >= 60


def rect_clip(t=2, h=60, w=80, box=(20.0, 14.0, 52.0, 44.0)) -> Clip:
    frames = torch.zeros(t, 3, h, w, dtype=torch.uint8)
    x1, y1, x2, y2 = (int(v) for v in box)
    frames[:, :, y1:y2, x1:x2] = 255
    boxes = torch.zeros(t, 2, 4)
    boxes[:, 0] = torch.tensor(box)
    return Clip(frames, boxes, torch.tensor([[True, False]] * t), 0)


@pytest.mark.parametrize("name,arg", GEOMETRIC_CASES)
def test_cv2_backend_boxes_follow_pixels(name, arg):
    ra = ClipRandAugment("rand-m9-n1", "bicubic", "cv2")
    out = ra.apply(rect_clip(), [(name, arg)])
    ref = ClipRandAugment("rand-m9-n1", "bicubic", "pil").apply(rect_clip(), [(name, arg)])
    assert torch.equal(out.boxes, ref.boxes) and torch.equal(out.mask, ref.mask)
    if out.mask[0, 0]:
        on = out.frames[0].float().mean(0) > 160
        ys, xs = torch.nonzero(on, as_tuple=True)
        b = out.boxes[0, 0].tolist()
        # the box encloses the moved rectangle (to a pixel) and is tight for translations and shears
        assert b[0] <= xs.min() + 1 and b[1] <= ys.min() + 1 and b[2] >= xs.max() and b[3] >= ys.max()
        if name != "Rotate":
            assert abs(b[0] - xs.min().item()) <= 1.5 and abs(b[2] - xs.max().item() - 1) <= 1.5


def test_resize_to_planes_matches_torch_bilinear():
    frames = textured(t=2, h=37, w=50)
    got = G.resize_to_planes(frames, 24, 31)
    want = F.interpolate(torch.from_numpy(frames).permute(3, 0, 1, 2).float(), size=(24, 31), mode="bilinear",
                         align_corners=False)
    assert got.shape == (3, 2, 24, 31) and (got - want).abs().max() < 0.01
    assert torch.equal(G.resize_to_planes(frames, 37, 50), torch.from_numpy(frames).permute(3, 0, 1, 2).float())
    # channel order and normalisation folded in: (x[source[c]] * scale[c] + bias[c]), resized
    scale, bias = [0.5, 2.0, -1.0], [1.0, -3.0, 0.25]
    got = G.resize_to_planes(frames, 24, 31, scale, bias, [2, 1, 0])
    want_n = want.flip(0) * torch.tensor(scale).view(3, 1, 1, 1) + torch.tensor(bias).view(3, 1, 1, 1)
    assert (got - want_n).abs().max() < 0.02


def _train_cfg(backend, order="RGB", **aug):
    cfg = get_cfg()
    cfg.DATA.CHANNEL_ORDER = order
    cfg.DATA.MEAN, cfg.DATA.STD = [0.4, 0.45, 0.5], [0.2, 0.225, 0.25]
    cfg.DATA.TRAIN_CROP_SIZE = 40
    cfg.DATA.TRAIN_JITTER_SCALES_RELATIVE = [0.3, 1.0]
    cfg.DATA.TRAIN_JITTER_ASPECT_RELATIVE = [0.75, 1.3333]
    cfg.DATA.RANDOM_FLIP = True
    cfg.AUG.ENABLE = True
    cfg.AUG.AA_TYPE = "rand-m9-n4-mstd0.5-inc1"
    cfg.AUG.BACKEND = backend
    for k, v in aug.items():
        setattr(cfg.AUG, k, v)
    return cfg


@pytest.mark.parametrize("re_prob,order,jitter", [(0.0, "RGB", 0.0), (1.0, "BGR", 0.0), (0.0, "RGB", 0.4)])
def test_backends_draw_the_same_and_agree(re_prob, order, jitter):
    """Same seed → same parameters (the generators end in the same state), the same boxes and masks,
    and frames within the stated tolerance; without a geometric op they differ by float rounding."""
    aug = {"RE_PROB": re_prob, "COLOR_JITTER": jitter}
    if jitter:
        aug["AA_TYPE"] = ""  # colour jitter acts only without RandAugment (PySlowFast)
    pil_t = ClipTransform(_train_cfg("pil", order, **aug), "train", {0: 1, 1: 0})
    cv_t = ClipTransform(_train_cfg("cv2", order, **aug), "train", {0: 1, 1: 0})
    c = rect_clip(t=3)
    frames = textured(t=3, h=60, w=80, seed=2)
    frames[:, 14:44, 20:52] = 255
    grey = 255 * 0.225  # one grey level in normalised units
    exact_rounds, mean_diffs = 0, []
    for seed in range(16):
        ra, rb = np.random.default_rng(seed), np.random.default_rng(seed)
        a = pil_t(frames, c.boxes.numpy(), c.mask.numpy(), 0, ra)
        b = cv_t(frames, c.boxes.numpy(), c.mask.numpy(), 0, rb)
        assert ra.random() == rb.random()
        assert a[0].shape == b[0].shape == (3, 3, 40, 40) and a[0].is_contiguous() and b[0].is_contiguous()
        assert torch.allclose(a[1], b[1], atol=1e-6) and torch.equal(a[2], b[2]) and a[3] == b[3]
        d = (a[0] - b[0]).abs() * grey
        mean_diffs.append(float(d.mean()))
        ops = pil_t.randaug.sample(np.random.default_rng(seed)) if pil_t.randaug else []
        if not any(n in GEOMETRIC for n, _ in ops):
            exact_rounds += 1
            assert d.max() < 0.02
    assert exact_rounds >= 3
    # A threshold op (Solarize, Posterize) or a histogram op (AutoContrast, Equalize) after a
    # geometric one can amplify a kernel difference in one clip; on average it stays well below a level.
    assert np.mean(mean_diffs) < 1.0


def test_bad_backend_named_in_error():
    with pytest.raises(ValueError, match="AUG.BACKEND"):
        ClipTransform(_train_cfg("turbo"), "train")
    with pytest.raises(ValueError, match="AUG.BACKEND"):
        ClipRandAugment("rand-m9-n1", "bicubic", "turbo")


@pytest.mark.parametrize("ext", [".webm", ".mp4"])
def test_pyav_source_converts_only_read_frames_to_the_same_pixels(tmp_path, ext):
    """PyAVSource keeps the decoded frames and converts the sampled ones with one conversion context:
    the pixels are those of a per-frame ``to_ndarray(format="rgb24")`` (the former conversion)."""
    import av

    from svit.data.decoders.pyav_backend import PyAVSource
    from svit.data.video_reader import decode_video
    from tests.data.prepare_helpers import write_video

    path = str(write_video(tmp_path / f"clip{ext}", num_frames=14, h=40, w=56))
    with av.open(path) as container:
        former = [f.to_ndarray(format="rgb24") for f in container.decode(container.streams.video[0])]
    plan = [0, 3, 3, 9, 13]
    src = PyAVSource(path, "clip")
    assert src.num_frames == 14 and all(isinstance(f, av.VideoFrame) for f in src.frames)
    np.testing.assert_array_equal(src.read(plan), np.stack([former[i] for i in plan]))
    np.testing.assert_array_equal(np.stack(decode_video(path, "clip")), np.stack(former))


@pytest.mark.parametrize("ext", [".jpg", ".png"])
def test_frame_reader_rgb_equals_bgr_decode_then_convert(tmp_path, ext):
    from svit.data.video_reader import read_image_rgb

    path = str(tmp_path / f"f{ext}")
    cv2.imwrite(path, textured(t=1, h=33, w=47)[0])
    want = cv2.cvtColor(cv2.imread(path, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    got = read_image_rgb(path, "clip")
    assert got.shape == (33, 47, 3) and got.dtype == np.uint8 and got.flags.c_contiguous
    np.testing.assert_array_equal(got, want)
