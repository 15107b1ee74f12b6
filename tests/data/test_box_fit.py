"""Box files whose coordinates do not fit the frame (issue 19 item 2): never clipped into nonsense or
dropped silently; the video is a counted bad sample, or (DATA.BAD_BOXES drop) kept without boxes."""

import json
import logging

import numpy as np
import pytest

from svit.data.errors import SampleError
from svit.data.sources.ssv2 import ssv2
from svit.data.sources.ssv2_frames import ssv2_frames
from tests.data.conftest import make_cfg

pytestmark = pytest.mark.usefixtures("svit_logs")

SIZE = 48  # frame size of the tiny synthetic dataset (conftest)


def _first_video(root, split_file="something-something-v2-validation.json"):
    return str(json.load(open(root / split_file))[0]["id"])


def _rewrite_boxes(root, vid, change):
    """Applies ``change(box2d dict)`` to every box of ``vid``'s box file; returns its path."""
    path = root / "bbox_jsons" / f"{int(vid)}.json"
    data = json.load(open(path))
    for rec in data:
        for lab in rec["labels"]:
            change(lab["box2d"])
    path.write_text(json.dumps(data))
    return path


def _times3(box):
    for k in box:
        box[k] = box[k] * 3


def _set(values):
    def change(box):
        box.update(zip(("x1", "y1", "x2", "y2"), values))

    return change


def test_box_file_in_3x_coordinates_is_a_counted_bad_sample(synth_copy, caplog):
    vid = _first_video(synth_copy)
    path = _rewrite_boxes(synth_copy, vid, _times3)
    ds = ssv2(make_cfg(synth_copy), "val")
    index = ds.video_ids.index(vid)
    with caplog.at_level(logging.WARNING):
        item = ds[index]
    assert item["missing"] is True and item["num_bad"] == 1  # no prediction, counted
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert str(path) in text and "frame" in text and f"{SIZE}x{SIZE}" in text


@pytest.mark.parametrize("box", [(60.0, 60.0, 70.0, 70.0), (-9.0, -9.0, -2.0, -2.0), (-0.5, 5.0, 0.0, 9.0)])
def test_box_outside_the_frame_names_file_frame_and_box(synth_copy, box):
    vid = _first_video(synth_copy)
    path = _rewrite_boxes(synth_copy, vid, _set(box))
    ds = ssv2(make_cfg(synth_copy), "val")
    with pytest.raises(SampleError) as e:
        ds.load(ds.video_ids.index(vid), 0, np.random.default_rng(0))
    msg = str(e.value)
    assert str(path) in msg and "frame 1" in msg and repr(list(box))[1:-1].split(",")[0] in msg


def test_small_overshoot_is_clipped_and_kept(synth_copy):
    vid = _first_video(synth_copy)
    _rewrite_boxes(synth_copy, vid, _set((40.0, -1.0, SIZE + 1.5, 20.0)))  # within 5 % of 48 px
    ds = ssv2(make_cfg(synth_copy), "val")
    item = ds[ds.video_ids.index(vid)]
    assert item["missing"] is False and item["num_bad"] == 0 and item["box_mask"].any()


def test_drop_policy_keeps_the_video_without_boxes_and_warns(synth_copy, caplog):
    vid = _first_video(synth_copy)
    path = _rewrite_boxes(synth_copy, vid, _times3)
    ds = ssv2(make_cfg(synth_copy, DATA__BAD_BOXES="drop"), "val")
    with caplog.at_level(logging.WARNING):
        item = ds[ds.video_ids.index(vid)]
    assert item["missing"] is False and item["num_bad"] == 0
    assert not item["box_mask"].any() and (item["boxes"] == 0).all()
    assert any(str(path) in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


def test_training_replaces_the_video_and_counts_it(synth_copy):
    vid = _first_video(synth_copy, "something-something-v2-train.json")
    _rewrite_boxes(synth_copy, vid, _times3)
    ds = ssv2(make_cfg(synth_copy), "train")
    index = ds.video_ids.index(vid)
    item = ds[index]
    assert item["num_bad"] >= 1 and item["index"] != index


def test_image_cotraining_frames_refuse_the_same_box_file(synth_copy):
    vid = _first_video(synth_copy, "something-something-v2-train.json")
    path = _rewrite_boxes(synth_copy, vid, _times3)
    ds = ssv2_frames(make_cfg(synth_copy), "train")
    with pytest.raises(SampleError) as e:
        ds.load(ds.video_ids.index(vid), np.random.default_rng(0))
    assert str(path) in str(e.value) and "frame" in str(e.value)


def test_unknown_policy_is_refused_when_the_dataset_is_built(synth_root):
    with pytest.raises(ValueError, match="DATA.BAD_BOXES"):
        ssv2(make_cfg(synth_root, DATA__BAD_BOXES="dropp"), "val")
    with pytest.raises(ValueError, match="DATA.BAD_BOXES"):
        ssv2_frames(make_cfg(synth_root, DATA__BAD_BOXES="dropp"), "train")


def test_box_files_are_parsed_once_and_reread_when_changed(tmp_path):
    """load_box_file keeps parsed files per process: a second read returns the same object with read-only
    arrays (no caller can alter what the next gets), and an edited file is read again."""
    import json as _json
    import os as _os

    from svit.data.boxes import load_box_file

    path = tmp_path / "7.json"

    def write(x2: float) -> None:
        rec = [{"name": "7/0001.jpg", "labels": [{"box2d": {"x1": 1.0, "y1": 2.0, "x2": x2, "y2": 9.0},
                                                   "category": "hand", "standard_category": "hand"}]}]
        path.write_text(_json.dumps(rec))

    write(5.0)
    first = load_box_file(str(path), "7", 4)
    assert load_box_file(str(path), "7", 4) is first
    with pytest.raises(ValueError):
        first.boxes[0, 0, 0] = 99.0  # read-only
    write(6.5)  # the same size would need a new mtime: set one explicitly
    _os.utime(path, ns=(1, 2_000_000_000))
    again = load_box_file(str(path), "7", 4)
    assert again is not first and float(again.raw[0, 3]) == 6.5


def test_fit_is_checked_once_per_frame_size(monkeypatch):
    """A cached box file that fits a frame size is not checked again for it; another size still is."""
    import svit.data.boxes as B

    raw = np.array([[0, 2.0, 3.0, 40.0, 30.0]], np.float32)
    vb = B.VideoBoxes([1], np.zeros((1, 4, 4), np.float32), np.zeros((1, 4), bool), "x.json", raw)
    calls = []
    real = B.boxes_off_frame
    monkeypatch.setattr(B, "boxes_off_frame", lambda *a: calls.append(a[1:3]) or real(*a))
    for _ in range(3):
        assert B.fit_to_frame(vb, 48, 48, "v", 0.1, "error") is vb
    assert calls == [(48, 48)]
    with pytest.raises(SampleError, match=r"does not fit the 20x20 frames"):  # a smaller frame: checked, refused
        B.fit_to_frame(vb, 20, 20, "v", 0.1, "error")
    with pytest.raises(SampleError, match=r"does not fit the 20x20 frames"):  # a bad fit is never remembered
        B.fit_to_frame(vb, 20, 20, "v", 0.1, "error")
    assert calls == [(48, 48), (20, 20), (20, 20)]
