"""FrameMapSource, what the seeking backends (decord, TorchCodec) share, checked with a stand-in
backend so it runs where neither optional decoder is installed."""
from __future__ import annotations

import numpy as np
import pytest

from svit.data.decoders.frame_map import FrameMapSource
from svit.data.errors import SampleError
from tests.data.prepare_helpers import write_video


class SeekingStandIn(FrameMapSource):
    """A backend whose decoder reports ``n`` frames at ``fps``; frame ``i`` is filled with its native index."""

    def __init__(self, path: str, n: int, fps: float, target_fps: float = 0.0, tolerance: float = 0.1) -> None:
        super().__init__(path, "vid")
        self.require_file()
        self.index_frames(n, fps, target_fps, tolerance)

    def _read(self, indices: list[int]) -> np.ndarray:
        return np.stack([np.full((2, 2, 3), self.map[i], np.uint8) for i in indices])


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> str:
    return str(write_video(tmp_path_factory.mktemp("v") / "c.mp4", num_frames=20, fps=10))


def test_every_frame_without_target_fps(clip) -> None:
    src = SeekingStandIn(clip, 20, 10.0)
    assert src.num_frames == 20 and src.read([0, 19])[:, 0, 0, 0].tolist() == [0, 19]


def test_target_fps_maps_to_the_nearest_native_frames(clip) -> None:
    src = SeekingStandIn(clip, 20, 10.0, target_fps=5.0)
    # ticks every 0.2 s over frames every 0.1 s: every second frame (give or take the float rounding of a tick)
    assert len(src.map) == 10 and all(abs(m - 2 * k) <= 1 for k, m in enumerate(src.map))
    assert src.map == sorted(set(src.map))
    # an unknown native rate (0) is taken as the target rate
    unknown = SeekingStandIn(clip, 20, 0.0, target_fps=5.0).map
    assert len(unknown) == 20 and unknown == SeekingStandIn(clip, 20, 5.0, target_fps=5.0).map


@pytest.mark.parametrize("n, reason", [(0, "zero frames"), (12, "header declares about 20")])
def test_empty_or_truncated_decodes_are_bad_samples(clip, n, reason) -> None:
    with pytest.raises(SampleError, match=reason):
        SeekingStandIn(clip, n, 10.0)
    SeekingStandIn(clip, 12, 10.0, tolerance=-1)  # the check can be switched off


def test_a_missing_file_is_named(tmp_path) -> None:
    with pytest.raises(SampleError, match="video file is missing") as exc:
        SeekingStandIn(str(tmp_path / "gone.mp4"), 5, 10.0)
    assert "gone.mp4" in str(exc.value)
