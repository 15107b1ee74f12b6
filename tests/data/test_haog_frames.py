"""HAOG targets (pairing, contact) and the ssv2_frames image dataset."""
import json

import numpy as np
import torch

from svit.data.haog import contact_states, pair_hands_objects
from svit.data.sources.ssv2_frames import ssv2_frames
from tests.data.conftest import make_cfg

W = H = 100.0


def boxes_of(*bs):
    b = np.zeros((4, 4), np.float32)
    m = np.zeros(4, bool)
    for i, x in enumerate(bs):
        if x is not None:
            b[i], m[i] = x, True
    return b, m


def test_crossed_pairing_swaps_only_object_slots():
    h0, h1 = (0, 0, 10, 10), (80, 80, 90, 90)
    o_near_h1, o_near_h0 = (85, 85, 95, 95), (5, 5, 15, 15)
    b, m = boxes_of(h0, h1, o_near_h1, o_near_h0)
    pb, pm = pair_hands_objects(b, m, W, H)
    assert pb[0].tolist() == list(h0) and pb[1].tolist() == list(h1)  # hands never move
    assert pb[2].tolist() == list(o_near_h0) and pb[3].tolist() == list(o_near_h1)
    assert contact_states(pb, pm, W, H).tolist() == [3, 3]


def test_missing_boxes_prefer_complete_pairs_and_mark_minus_one():
    # hand 1 missing, object 0 missing: only the crossed pairing makes a complete pair (h0, o1)
    b, m = boxes_of((0, 0, 10, 10), None, None, (50, 50, 60, 60))
    pb, pm = pair_hands_objects(b, m, W, H)
    assert pm.tolist() == [True, False, True, False] and pb[2].tolist() == [50, 50, 60, 60]
    assert contact_states(pb, pm, W, H).tolist() == [0, -1]  # far apart, hand 1 missing


def test_distance_rule():
    b, m = boxes_of((0, 0, 10, 10), (50, 50, 60, 60), (12, 12, 20, 20), (90, 90, 99, 99))
    assert contact_states(b, m, W, H, "overlap").tolist() == [0, 0]
    assert contact_states(b, m, W, H, "distance", 0.2).tolist() == [3, 0]


def test_frames_dataset_items(synth_root):
    cfg = make_cfg(synth_root)
    ds = ssv2_frames(cfg, "train")
    n_train = len(json.load(open(synth_root / "something-something-v2-train.json")))
    assert len(ds) == ds.num_videos == n_train and ds.num_views == 1
    states = []
    for i in range(len(ds)):
        it = ds[i]
        assert it["image"].shape == (3, 32, 32)
        assert it["haog_boxes"].shape == (4, 4) and it["haog_mask"].dtype == torch.bool
        assert it["contact_state"].dtype == torch.int64 and it["contact_state"].shape == (2,)
        assert (it["haog_boxes"][~it["haog_mask"]] == 0).all()
        hb = it["haog_boxes"][it["haog_mask"]]
        assert ((hb[:, :2] >= 0) & (hb[:, :2] <= 1)).all() and (hb[:, 2:] > 0.05).all()
        if not it["haog_mask"][1]:
            assert it["contact_state"][1] == -1
        states += it["contact_state"].tolist()
    assert 3 in states  # the synthetic hand holds its object


def test_frames_subset_file(synth_copy):
    ids = [r["id"] for r in json.load(open(synth_copy / "something-something-v2-train.json"))][:3]
    (synth_copy / "subset.json").write_text(json.dumps(ids))
    ds = ssv2_frames(make_cfg(synth_copy, IMAGE_TRAIN__SUBSET_FILE="subset.json"), "train")
    assert ds.video_ids == ids
