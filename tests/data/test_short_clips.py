"""A clip shorter than the sampling plan is padded by repeating frames: logged once per dataset,
naming the video and how many frames it has vs needs (issue 19, newcomer list)."""

import logging

import pytest

from svit.data.sampling import frames_needed
from svit.data.sources.ssv2 import ssv2
from tests.data.conftest import make_cfg

pytestmark = pytest.mark.usefixtures("svit_logs")


def _short_warnings(caplog):
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "frames" in r.getMessage()]


def test_short_videos_are_logged_once_per_dataset(synth_root, caplog):
    ds = ssv2(make_cfg(synth_root, DATA__NUM_FRAMES=16), "val")  # the tiny videos have 12 frames
    with caplog.at_level(logging.WARNING):
        for i in range(3):
            ds[i]
    warned = _short_warnings(caplog)
    assert len(warned) == 1
    assert ds.video_ids[0] in warned[0] and "12 frames" in warned[0] and "16" in warned[0]


def test_long_enough_videos_are_quiet(synth_root, caplog):
    ds = ssv2(make_cfg(synth_root, DATA__NUM_FRAMES=4), "val")
    with caplog.at_level(logging.WARNING):
        ds[0]
    assert not _short_warnings(caplog)


def test_frames_needed_by_plan():
    assert frames_needed("segment", 8, 1, 4) == 8
    assert frames_needed("segment", 8, 5, 4) == 40  # H2CN snippets: 5 consecutive frames per segment
    assert frames_needed("dense", 8, 1, 8) == 57  # (8 - 1) * 8 + 1
