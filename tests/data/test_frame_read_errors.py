"""A missing or corrupt frame file is a ``SampleError`` that names the file and says which of the two it
is (``read_image_rgb`` no longer stats every frame before decoding it)."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from svit.data.errors import SampleError
from svit.data.video_reader import read_frame_folder, read_image_rgb


def write_frames(folder, count: int) -> np.ndarray:
    g = np.random.default_rng(0)
    frames = g.integers(0, 256, (count, 16, 20, 3), dtype=np.uint8)
    folder.mkdir()
    for k, f in enumerate(frames, start=1):
        assert cv2.imwrite(str(folder / f"{k:04d}.png"), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    return frames


def test_frames_read_back(tmp_path):
    frames = write_frames(tmp_path / "v", 3)
    got = read_frame_folder(str(tmp_path / "v"), [3, 1, 3], "{:04d}.png", "v")
    assert np.array_equal(got, frames[[2, 0, 2]])  # lossless PNG: the exact RGB pixels


def test_missing_frame_is_named(tmp_path):
    write_frames(tmp_path / "v", 3)
    (tmp_path / "v" / "0002.png").unlink()
    with pytest.raises(SampleError, match=r"frame file is missing") as err:
        read_frame_folder(str(tmp_path / "v"), [1, 2], "{:04d}.png", "vid7")
    assert err.value.path == str(tmp_path / "v" / "0002.png") and err.value.video_id == "vid7"
    assert "0002.png" in str(err.value)


def test_corrupt_frame_is_named(tmp_path):
    write_frames(tmp_path / "v", 2)
    bad = tmp_path / "v" / "0001.png"
    bad.write_bytes(b"not an image at all")
    with pytest.raises(SampleError, match=r"cannot be decoded") as err:
        read_image_rgb(str(bad), "vid7")
    assert err.value.path == str(bad) and str(bad) in str(err.value)
