"""List-file sources: Kinetics CSV (webm via PyAV), TSN and IBM lists on frame folders."""

import shutil

import cv2
import numpy as np
import pytest
import torch

from svit.data.errors import AnnotationError
from svit.data.sources.list_files import ibm_list, kinetics, parse_list_file, tsn_list
from tests.data.conftest import make_cfg


@pytest.fixture
def frame_tree(tmp_path):
    """Two videos of 10 frames named {:05d}.jpg; frame k has grey value 20*k so indices are visible."""
    for name in ("cls a/v1", "cls b/v2"):
        d = tmp_path / "frames" / name
        d.mkdir(parents=True)
        for k in range(1, 11):
            cv2.imwrite(str(d / f"{k:05d}.jpg"), np.full((40, 50, 3), 20 * k, np.uint8))
    return tmp_path


def _cfg(root, **kw):
    base = dict(
        DATA__FRAME_TEMPLATE="{:05d}.jpg",
        DATA__PATH_PREFIX=str(root / "frames"),
        DATA__MEAN=[0.0] * 3,
        DATA__STD=[1.0] * 3,
        DATA__NUM_FRAMES=3,
        AUG__ENABLE=False,
    )
    base.update(kw)
    return make_cfg(root, **base)


def _frame_values(item):
    return [round(float(item["inputs"][:, t].mean()) * 255 / 20) for t in range(item["inputs"].shape[1])]


def test_ibm_list_semicolon_with_start_end_and_unlabelled_test(frame_tree):
    (frame_tree / "val.txt").write_text("cls a/v1;3;8;1\ncls b/v2;1;10;0\n")
    (frame_tree / "test.txt").write_text("cls a/v1;1;10\n")
    (frame_tree / "names.txt").write_text("open\nclose\n")
    ds = ibm_list(_cfg(frame_tree, LIST_DATA__VAL_LIST="val.txt", LIST_DATA__CLASS_NAMES="names.txt"), "val")
    assert ds.labels == [1, 0] and ds.class_names == ["open", "close"] and ds.num_classes == 2
    assert ds.video_ids == ["v1", "v2"]
    # frames 3..8 (6 frames), 3 segments, centres of [0,2],[2,3],[3,5] -> 1,2,4 -> files 4,5,7
    assert _frame_values(ds[0]) == [4, 5, 7]
    test = ibm_list(_cfg(frame_tree, LIST_DATA__TEST_LIST="test.txt", LIST_DATA__NUM_CLASSES=2), "test")
    assert test.labels == [-1] and test[0]["label"] == -1


def test_tsn_list_and_min_frames_filter(frame_tree):
    (frame_tree / "train.txt").write_text("cls a/v1 10 2\ncls b/v2 5 0\n")
    cfg = _cfg(
        frame_tree,
        LIST_DATA__TRAIN_LIST="train.txt",
        LIST_DATA__MIN_FRAMES=8,
        LIST_DATA__NUM_CLASSES=3,
        DATA__FRAMES_PER_SEGMENT=2,
        LIST_DATA__FLIP_SWAP_PAIRS=[[1, 2]],
    )
    ds = tsn_list(cfg, "train")
    assert ds.num_videos == 1 and ds.split_info["num_too_short"] == 1
    item = ds[0]
    assert item["inputs"].shape[1] == 6  # 3 segments x 2 consecutive frames
    v = _frame_values(item)
    assert all(v[2 * k + 1] == v[2 * k] + 1 for k in range(3))
    assert item["label"] in (1, 2)  # label 2, swapped to 1 when flipped


def test_list_errors_name_file_and_line(frame_tree):
    (frame_tree / "bad.txt").write_text("cls a/v1 1 x 3\n")
    with pytest.raises(AnnotationError, match=r"line 1.*non-integer.*bad\.txt"):
        parse_list_file(str(frame_tree / "bad.txt"), "ibm", str(frame_tree), 1)
    (frame_tree / "bad2.txt").write_text("cls a/v1 9 3 0\n")
    with pytest.raises(AnnotationError, match=r"end frame 3 < start frame 9.*video id: cls a/v1"):
        parse_list_file(str(frame_tree / "bad2.txt"), "ibm", str(frame_tree), 1)
    (frame_tree / "val.txt").write_text("cls a/v1 10 7\n")
    with pytest.raises(AnnotationError, match="label 7 outside 0..1"):
        tsn_list(_cfg(frame_tree, LIST_DATA__VAL_LIST="val.txt", LIST_DATA__NUM_CLASSES=2), "val")


def test_kinetics_csv_with_webm_dense_sampling(synth_root, tmp_path):
    vids = tmp_path / "videos"
    vids.mkdir()
    shutil.copy(synth_root / "videos" / "1.webm", vids / "clip one.webm")
    shutil.copy(synth_root / "videos" / "2.webm", vids / "b.webm")
    (tmp_path / "train.csv").write_text("clip one 4\nb 1\n")
    cfg = make_cfg(
        tmp_path,
        DATA__PATH_PREFIX=str(vids),
        DATA__DECODING_BACKEND="pyav",
        DATA__SAMPLING="dense",
        DATA__SAMPLING_RATE=2,
        LIST_DATA__TRAIN_LIST="train.csv",
        LIST_DATA__VIDEO_EXTENSION=".webm",
        TEST__NUM_ENSEMBLE_VIEWS=3,
        LIST_DATA__TEST_LIST="train.csv",
    )
    ds = kinetics(cfg, "train")
    assert ds.video_ids == ["clip one", "b"] and ds.labels == [4, 1] and ds.num_classes == 5
    item = ds[0]
    assert item["inputs"].shape == (3, 4, 32, 32) and not item["box_mask"].any()
    test = kinetics(cfg, "test")
    assert len(test) == 6
    assert not torch.equal(test[0]["inputs"], test[2]["inputs"])
