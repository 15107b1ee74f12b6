"""The ssv2 source on a tiny generated dataset: contract, views, backends, box policy, bad input."""

import json
import logging
import os

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from svit.data.errors import AnnotationError, SampleError
from svit.data.sources.ssv2 import ssv2
from tests.data.conftest import make_cfg


def collate(items):
    return {k: torch.stack([torch.as_tensor(i[k]) for i in items]) for k in items[0]}


def test_train_items_follow_the_contract(synth_root):
    ds = ssv2(make_cfg(synth_root), "train")
    train_list = json.load(open(synth_root / "something-something-v2-train.json"))
    assert ds.num_videos == len(train_list) == len(ds) and ds.num_views == 1
    assert ds.num_classes == 12 == len(ds.class_names)
    assert ds.video_ids == [r["id"] for r in train_list]
    names = {n: i for i, n in enumerate(ds.class_names)}
    assert ds.labels == [names[r["template"].replace("[", "").replace("]", "")] for r in train_list]
    batch = next(iter(DataLoader(ds, batch_size=4, collate_fn=collate, num_workers=0)))
    assert batch["inputs"].shape == (4, 3, 4, 32, 32) and batch["inputs"].dtype == torch.float32
    assert batch["boxes"].shape == (4, 4, 4, 4) and batch["box_mask"].shape == (4, 4, 4)
    assert batch["box_mask"][:, :, 0].any() and batch["box_mask"][:, :, 2].any()  # hand and object 0
    assert (batch["boxes"][~batch["box_mask"]] == 0).all()
    assert batch["num_bad"].sum() == 0 and (batch["view"] == 0).all()


def test_flip_pairs_found_from_class_text(synth_root):
    ds = ssv2(make_cfg(synth_root), "train")
    lr = ds.class_names.index("Moving something from left to right")
    rl = ds.class_names.index("Moving something from right to left")
    assert ds.transform.flip_swap == {lr: rl, rl: lr}


def test_test_views_and_val_single_view(synth_root):
    cfg = make_cfg(synth_root, TEST__NUM_ENSEMBLE_VIEWS=2, TEST__NUM_SPATIAL_CROPS=3, DATA__TEST_SCALE_SIZE=48)
    ds = ssv2(cfg, "test")
    assert ds.num_views == 6 and len(ds) == ds.num_videos * 6
    items = [ds[i] for i in range(6)]
    assert [it["view"] for it in items] == list(range(6)) and {it["index"] for it in items} == {0}
    assert not torch.equal(items[0]["inputs"], items[3]["inputs"])  # temporal views differ
    assert not torch.equal(items[0]["inputs"], items[1]["inputs"])  # spatial crops differ
    val = ssv2(make_cfg(synth_root), "val")
    assert val.num_views == 1 and len(val) == val.num_videos
    assert torch.equal(val[0]["inputs"], val[0]["inputs"])  # deterministic


def test_pyav_backend_matches_frames(synth_root):
    a = ssv2(make_cfg(synth_root), "val")[1]
    b = ssv2(make_cfg(synth_root, DATA__DECODING_BACKEND="pyav"), "val")[1]
    assert torch.equal(a["boxes"], b["boxes"]) and a["label"] == b["label"]
    assert (a["inputs"] - b["inputs"]).abs().mean() < 0.15  # same content, JPEG vs VP9 loss


def test_frame_count_without_boxes_uses_files_and_policies(synth_copy):
    os.remove(synth_copy / "bbox_jsons" / "3.json")
    train_ids = [r["id"] for r in json.load(open(synth_copy / "something-something-v2-train.json"))]
    split = "train" if "3" in train_ids else "val"
    keep = ssv2(make_cfg(synth_copy, DATA__MISSING_BOXES="keep"), split)
    skip = ssv2(make_cfg(synth_copy, DATA__MISSING_BOXES="skip"), split)
    assert keep.num_videos == skip.num_videos + 1
    assert skip.split_info["num_skipped"] == 1 and skip.split_info["num_listed"] == keep.num_videos
    assert keep.split_info["num_without_boxes"] == 1 and keep.split_info["missing_boxes_policy"] == "keep"
    item = keep.load(keep.video_ids.index("3"), 0, np.random.default_rng(0))
    assert not item["box_mask"].any() and item["inputs"].shape[1] == 4


def test_label_map_not_json(synth_copy):
    (synth_copy / "something-something-v2-labels.json").write_text("{not json")
    with pytest.raises(AnnotationError, match=r"not valid JSON.*something-something-v2-labels\.json"):
        ssv2(make_cfg(synth_copy), "train")


def test_list_not_json(synth_copy):
    (synth_copy / "something-something-v2-train.json").write_text("[{")
    with pytest.raises(AnnotationError, match="something-something-v2-train.json"):
        ssv2(make_cfg(synth_copy), "train")


def test_template_not_in_label_map_names_video(synth_copy):
    p = synth_copy / "something-something-v2-train.json"
    lst = json.load(open(p))
    lst[2]["template"] = "Juggling [something]"
    p.write_text(json.dumps(lst))
    with pytest.raises(AnnotationError, match=rf"Juggling something.*video id: {lst[2]['id']}"):
        ssv2(make_cfg(synth_copy), "train")


def _first_train_id(root):
    return json.load(open(root / "something-something-v2-train.json"))[0]["id"]


@pytest.mark.parametrize(
    "breakage,match",
    [
        (lambda recs: recs[1]["labels"][0].pop("box2d"), "lacks the field 'box2d'"),
        (lambda recs: recs[0]["labels"][0]["box2d"].update(x1=40.0, x2=10.0), "x2 < x1"),
        (lambda recs: recs[0].pop("name"), "lacks the field 'name'"),
    ],
)
def test_bad_box_file_is_a_named_counted_skip(synth_copy, caplog, breakage, match):
    vid = _first_train_id(synth_copy)
    p = synth_copy / "bbox_jsons" / f"{vid}.json"
    recs = json.load(open(p))
    breakage(recs)
    p.write_text(json.dumps(recs))
    ds = ssv2(make_cfg(synth_copy), "train")
    with pytest.raises(SampleError, match=rf"{match}.*{vid}\.json.*video id: {vid}"):
        ds.load(0, 0, np.random.default_rng(0))
    with caplog.at_level(logging.WARNING, logger="svit.data.robust"):
        item = ds[0]
    assert item["num_bad"] == 1 and item["index"] != 0
    assert f"video id: {vid}" in caplog.text and f"{vid}.json" in caplog.text


def test_frame_folder_shorter_than_box_file(synth_copy):
    vid = _first_train_id(synth_copy)
    (synth_copy / "frames" / vid / "0012.jpg").unlink()
    ds = ssv2(make_cfg(synth_copy), "train")
    with pytest.raises(SampleError, match=rf"fewer frames than the box file.*video id: {vid}"):
        ds.load(0, 0, np.random.default_rng(0))
    assert ds[0]["num_bad"] == 1


def test_unreadable_jpeg(synth_copy):
    vid = _first_train_id(synth_copy)
    for f in (synth_copy / "frames" / vid).iterdir():
        f.write_bytes(b"\xff\xd8 this is not a jpeg")
    ds = ssv2(make_cfg(synth_copy), "train")
    with pytest.raises(SampleError, match=rf"cannot be decoded.*{vid}.*video id: {vid}"):
        ds.load(0, 0, np.random.default_rng(0))
    assert ds[0]["num_bad"] == 1


def test_truncated_webm(synth_copy):
    vid = _first_train_id(synth_copy)
    p = synth_copy / "videos" / f"{vid}.webm"
    p.write_bytes(p.read_bytes()[:300])
    ds = ssv2(make_cfg(synth_copy, DATA__DECODING_BACKEND="pyav"), "train")
    with pytest.raises(SampleError, match=rf"{vid}\.webm.*video id: {vid}"):
        ds.load(0, 0, np.random.default_rng(0))
    assert ds[0]["num_bad"] == 1


def test_everything_broken_stops_with_a_clear_error(synth_copy):
    for d in (synth_copy / "frames").iterdir():
        for f in d.iterdir():
            f.unlink()
    ds = ssv2(make_cfg(synth_copy, DATA__MAX_RETRIES=3), "train")
    with pytest.raises(RuntimeError, match="3 samples in a row were unreadable"):
        ds[0]


def test_engine_loader_integration_and_determinism(synth_root):
    from svit.data import build_loader

    cfg = make_cfg(
        synth_root,
        TRAIN__BATCH_SIZE=4,
        DATA_LOADER__NUM_WORKERS=0,
        DATA_LOADER__PIN_MEMORY=False,
        AUG__ENABLE=True,
        DATA__TRAIN_JITTER_SCALES_RELATIVE=[0.3, 1.0],
        DATA__TRAIN_JITTER_ASPECT_RELATIVE=[0.75, 1.3333],
    )
    a = next(iter(build_loader(cfg, "train")))
    b = next(iter(build_loader(cfg, "train")))
    assert a["inputs"].shape == (4, 3, 4, 32, 32) and a["labels"].dtype == torch.int64
    assert torch.equal(a["inputs"], b["inputs"]) and torch.equal(a["boxes"], b["boxes"])  # same seed, same clips
    assert a["num_bad"] == 0 and a["box_mask"].any()


def test_left_right_pairs_from_real_ssv2_names():
    from svit.data.ssv2_annotations import left_right_swap_pairs

    names = [
        "Plugging something into something but pulling it right out as you remove your hand",
        "Pulling something from left to right",
        "Pulling something from right to left",
        "Pushing something from left to right",
        "Pushing something from right to left",
        "Turning the camera downwards while filming something",
        "Turning the camera left while filming something",
        "Turning the camera right while filming something",
    ]
    assert left_right_swap_pairs(names) == {1: 2, 2: 1, 3: 4, 4: 3, 6: 7, 7: 6}


def test_unexpected_failure_names_the_video(synth_root, monkeypatch):
    ds = ssv2(make_cfg(synth_root), "train")

    def boom(*a, **k):
        raise ZeroDivisionError("inner bug")

    monkeypatch.setattr(ds, "transform", boom)
    with pytest.raises(RuntimeError, match=rf"video {ds.video_ids[0]} .*ZeroDivisionError"):
        ds[0]
