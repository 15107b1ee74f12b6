"""``resample_to_fps``: the frames a target frame rate keeps. At equal rates every frame, at half the rate
every other one; float rounding of frame times (3/25 is not exact) must not push a tick past its frame,
which repeated frame 4 and skipped frame 3 of a 25 fps video before."""
from __future__ import annotations

from fractions import Fraction

import pytest

from svit.data.video_reader import resample_to_fps


@pytest.mark.parametrize("fps", [24, 25, 30, 29.97, 50])
def test_equal_rate_keeps_every_frame_and_half_rate_every_other(fps: float) -> None:
    times = [i / fps for i in range(240)]
    assert resample_to_fps(times, fps) == list(range(240))
    assert resample_to_fps(times, fps / 2) == list(range(0, 240, 2))


def test_times_from_pts_and_time_base() -> None:
    """NTSC video: pts in 1/90000 s steps of 3003, the rate 30000/1001."""
    times = [float(i * 3003 * Fraction(1, 90000)) for i in range(300)]
    assert resample_to_fps(times, 30000 / 1001) == list(range(300))
    assert resample_to_fps(times, 15000 / 1001) == list(range(0, 300, 2))


def test_lower_rate_picks_the_frame_at_or_after_each_tick() -> None:
    times = [i / 30 for i in range(30)]
    # ticks every 1/12 s: 0, 2.5, 5, 7.5, ... frames of 1/30 s -> first frame at or after each tick
    assert resample_to_fps(times, 12) == [0, 3, 5, 8, 10, 13, 15, 18, 20, 23, 25, 28]


def test_a_video_not_starting_at_zero() -> None:
    times = [1.0 + i / 25 for i in range(50)]
    assert resample_to_fps(times, 25) == list(range(50))
    assert resample_to_fps(times, 5) == list(range(0, 50, 5))
