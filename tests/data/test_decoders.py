"""One frame-index API over PyAV, TorchCodec, decord and frame folders; holes in frame folders
and truncated videos are bad samples, not shorter clips."""
from __future__ import annotations

import logging

import cv2
import numpy as np
import pytest

from svit.config.defaults import get_cfg
from svit.data.decoders import available_backends, open_video
from svit.data.errors import SampleError
from svit.data.sources.list_files import build_list_dataset
from tests.data.prepare_helpers import synthetic_frame, write_frames, write_video

VIDEO_BACKENDS = [b for b in ("pyav", "torchcodec", "decord") if b in available_backends()]
PLAN = [0, 3, 7, 7, 12, 19]  # a sampling plan with a repeated frame
# Every backend decodes with FFmpeg's decoders, so the frames are the same; the RGB conversion may
# differ by rounding between FFmpeg builds: tolerance 2 grey levels, mean 0.5.
MAX_DIFF, MEAN_DIFF = 2, 0.5


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    root = tmp_path_factory.mktemp("videos")
    return {ext: write_video(root / f"clip{ext}", num_frames=20, h=48, w=64) for ext in (".mp4", ".avi", ".webm")}


def test_pyav_is_always_available() -> None:
    assert {"frames", "pyav"} <= set(available_backends())


@pytest.mark.parametrize("ext", [".mp4", ".avi", ".webm"])
def test_every_backend_reads_the_same_frames(videos, ext) -> None:
    decoded = {}
    for backend in VIDEO_BACKENDS:
        with open_video(backend, str(videos[ext]), "clip") as v:
            assert v.num_frames == 20, backend
            decoded[backend] = v.read(PLAN).astype(np.int16)
    ref = decoded["pyav"]
    assert ref.shape == (len(PLAN), 48, 64, 3)
    for backend, frames in decoded.items():
        diff = np.abs(frames - ref)
        assert diff.max() <= MAX_DIFF and diff.mean() <= MEAN_DIFF, (backend, ext, diff.max(), diff.mean())
    # the right frames: each decoded frame is closest to the source frame of its index (lossy codec)
    for k, i in enumerate(PLAN):
        errs = [np.abs(ref[k] - synthetic_frame(j, 48, 64).astype(np.int16)).mean() for j in range(20)]
        assert int(np.argmin(errs)) == i, (ext, i, errs)


def test_frame_folder_any_template_and_start_index(tmp_path) -> None:
    folder = write_frames(tmp_path / "v", 6, "img_{:05d}.jpg", start=0)
    (folder / "img_00099.txt").write_text("not a frame")
    with open_video("frames", str(folder), "v", template="img_{:05d}.jpg", start_index=0) as v:
        assert v.num_frames == 6
        got = v.read([5, 0])
    want = cv2.cvtColor(cv2.imread(str(folder / "img_00005.jpg")), cv2.COLOR_BGR2RGB)
    assert np.array_equal(got[0], want)
    with pytest.raises(SampleError, match="out of range"):
        open_video("frames", str(folder), "v", template="img_{:05d}.jpg", start_index=0).read([6])


def test_frame_folder_holes_are_errors_or_skipped_with_a_warning(tmp_path, caplog) -> None:
    folder = write_frames(tmp_path / "v", 24, "{:05d}.jpg")
    for k in range(5, 13):  # the reproduction: frames 5-12 deleted
        (folder / f"{k:05d}.jpg").unlink()
    with pytest.raises(SampleError, match=r"holes: frames 5-12 of 00001.jpg..00024.jpg"):
        open_video("frames", str(folder), "v")
    with caplog.at_level(logging.WARNING):
        v = open_video("frames", str(folder), "v", allow_gaps=True)
    assert v.num_frames == 16 and "holes" in caplog.text
    # a folder whose count disagrees with the list file's count is bad too
    whole = write_frames(tmp_path / "w", 10)
    with pytest.raises(SampleError, match="holds 10 frames but the list file says 8"):
        open_video("frames", str(whole), "w", expected=8)
    with pytest.raises(SampleError, match="holes"):
        open_video("frames", str(whole), "w", expected=12)


def _truncate(src, dst):
    data = src.read_bytes()
    dst.write_bytes(data[: len(data) // 2])
    return dst


@pytest.mark.parametrize("backend", VIDEO_BACKENDS)
def test_truncated_webm_is_a_bad_sample(tmp_path, backend) -> None:
    full = write_video(tmp_path / "long.webm", num_frames=60, w=64)
    cut = _truncate(full, tmp_path / "cut.webm")
    with open_video(backend, str(full), "long") as v:
        assert v.num_frames == 60
    with pytest.raises(SampleError, match="truncated"):
        open_video(backend, str(cut), "cut")
    with open_video(backend, str(cut), "cut", tolerance=-1) as v:  # check disabled: the short clip reads
        assert 0 < v.num_frames < 60


def _list_cfg(root, backend: str, fmt: str, **data):
    cfg = get_cfg()
    cfg.DATA.PATH_TO_DATA_DIR = str(root)
    cfg.DATA.DECODING_BACKEND = backend
    cfg.DATA.FRAME_TEMPLATE = "{:05d}.jpg"
    cfg.DATA.NUM_FRAMES = 4
    cfg.DATA.TRAIN_CROP_SIZE = cfg.DATA.TEST_CROP_SIZE = 32
    cfg.DATA.TRAIN_JITTER_SCALES = [32, 40]
    cfg.DATA.MAX_RETRIES = 3
    cfg.LIST_DATA.FORMAT = fmt
    for k, v in data.items():
        setattr(cfg.DATA, k, v)
    return cfg


def test_dataset_counts_a_folder_with_holes_as_bad(tmp_path) -> None:
    write_frames(tmp_path / "good", 24)
    write_frames(tmp_path / "gap", 24)
    for k in range(5, 13):
        (tmp_path / "gap" / f"{k:05d}.jpg").unlink()
    (tmp_path / "train.txt").write_text("gap 24 0\ngood 24 1\n")
    ds = build_list_dataset(_list_cfg(tmp_path, "frames", "tsn"), "train", "tsn", "tsn_list")
    with pytest.raises(SampleError, match="holes"):
        ds.load(0, 0, np.random.default_rng(0))
    item = ds[0]
    assert item["num_bad"] == 1 and item["index"] == 1  # counted, and the label is the good video's
    skipping = build_list_dataset(_list_cfg(tmp_path, "frames", "tsn", FRAME_GAPS="skip"), "train", "tsn", "tsn_list")
    assert skipping[0]["num_bad"] == 0 and skipping[0]["index"] == 0


@pytest.mark.parametrize("backend", VIDEO_BACKENDS)
def test_dataset_counts_a_truncated_webm_as_bad(tmp_path, backend) -> None:
    # 64 px wide: decord2 3.4 fails on frames narrower than 64 px (its buffer is padded)
    write_video(tmp_path / "ok.webm", num_frames=30, w=64)
    _truncate(write_video(tmp_path / "long.webm", num_frames=60, w=64), tmp_path / "cut.webm")
    (tmp_path / "train.txt").write_text("cut.webm 0\nok.webm 1\n")
    ds = build_list_dataset(_list_cfg(tmp_path, backend, "kinetics_csv"), "train", "kinetics_csv", "kinetics")
    item = ds[0]
    assert item["num_bad"] == 1 and item["label"] == 1
    assert tuple(item["inputs"].shape) == (3, 4, 32, 32)


def test_unknown_backend_and_bad_template_are_clear_errors(tmp_path) -> None:
    with pytest.raises(ValueError, match="DATA.DECODING_BACKEND"):
        open_video("opencv", "x.mp4", "x")
    write_frames(tmp_path / "v", 2)
    with pytest.raises(ValueError, match="exactly one"):
        open_video("frames", str(tmp_path / "v"), "v", template="frame.jpg")
