"""``tools/predict.py --input`` folder detection (issue 19 item 10): a folder is a frame folder only
when its images follow the frame template; a folder of videos with a stray image predicts its videos
and lists the stray files."""
from __future__ import annotations

import logging

import pytest

from svit.engine.predictor import PredictInputError, collect_inputs


@pytest.fixture(autouse=True)
def _svit_logs(caplog):
    """caplog also receives the "svit" loggers once a run in this session set ``propagate`` False."""
    logger = logging.getLogger("svit")
    propagate, logger.propagate = logger.propagate, True
    yield
    logger.propagate = propagate


def _touch(folder, *names):
    folder.mkdir(parents=True, exist_ok=True)
    for n in names:
        (folder / n).write_bytes(b"x")
    return folder


def test_folder_of_videos_with_one_jpg_predicts_the_videos_and_lists_the_stray(tmp_path, caplog):
    folder = _touch(tmp_path / "clips", "a.webm", "b.mp4", "cover.jpg", "notes.txt")
    with caplog.at_level(logging.WARNING):
        items = collect_inputs([str(folder)])
    assert [(i.video_id, i.kind) for i in items] == [("a", "pyav"), ("b", "pyav")]
    warned = "\n".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "cover.jpg" in warned and "notes.txt" in warned and str(folder) in warned


def test_folder_of_template_frames_is_one_frame_folder(tmp_path):
    folder = _touch(tmp_path / "1234", "0001.jpg", "0002.jpg", "0003.jpg")
    items = collect_inputs([str(folder)])
    assert [(i.video_id, i.kind) for i in items] == [("1234", "frames")]


def test_the_config_template_decides(tmp_path):
    folder = _touch(tmp_path / "v", "img_00001.jpg", "img_00002.jpg")
    items = collect_inputs([str(folder)], template="img_{:05d}.jpg")
    assert [(i.video_id, i.kind) for i in items] == [("v", "frames")]
    with pytest.raises(PredictInputError) as e:  # with the default template these are stray images
        collect_inputs([str(folder)])
    assert "img_00001.jpg" in str(e.value) and "{:04d}.jpg" in str(e.value)


def test_folder_of_frame_folders_skips_folders_of_other_images(tmp_path, caplog):
    root = tmp_path / "set"
    _touch(root / "v1", "0001.jpg", "0002.jpg")
    _touch(root / "thumbs", "small.png")
    _touch(root, "c.webm")
    with caplog.at_level(logging.WARNING):
        items = collect_inputs([str(root)])
    assert [(i.video_id, i.kind) for i in items] == [("c", "pyav"), ("v1", "frames")]
    assert any("thumbs" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
