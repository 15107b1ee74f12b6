"""Unreadable videos in evaluation (issue 9, failure 3) and the SSV2.SPLIT class-count warning."""
from __future__ import annotations

import logging

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

import svit.data.sources.ssv2 as ssv2_mod
from svit.data.collate import collate
from svit.data.sources.ssv2 import ssv2
from svit.engine.errors import DataQualityError
from svit.engine.evaluator import validate
from tests.data.conftest import make_cfg


def _break_video(root, split_index: int, split: str = "val") -> str:
    ds = ssv2(make_cfg(root), split)
    vid = ds.video_ids[split_index]
    for f in (root / "frames" / vid).iterdir():
        f.write_bytes(b"\xff\xd8 not a jpeg")
    return vid


def test_val_and_test_never_substitute_another_video(synth_copy):
    vid = _break_video(synth_copy, 0)
    for split in ("val", "test"):
        ds = ssv2(make_cfg(synth_copy), split)
        assert ds.video_ids[0] == vid
        item = ds[0]
        assert item["missing"] is True and item["index"] == 0 and item["label"] == -1 and item["num_bad"] == 1
        assert not item["inputs"].any() and not item["box_mask"].any()  # no other video's content
        ok = ds[1]
        assert ok["missing"] is False and ok["index"] == 1 and ok["num_bad"] == 0
    # training still replaces (and counts) an unreadable video
    train = ssv2(make_cfg(synth_copy), "train")
    tvid = _break_video(synth_copy, 0, "train")
    assert train.video_ids[0] == tvid
    item = train[0]
    assert item["missing"] is False and item["index"] != 0 and item["num_bad"] == 1


class _Net(torch.nn.Module):
    """Predicts the true class of every readable video of the split (a lookup on the index)."""

    def __init__(self, labels, k):
        super().__init__()
        self.register_buffer("table", torch.nn.functional.one_hot(torch.tensor(labels), k).float() * 10)
        self.index = None

    def forward(self, x):
        return self.table[self.index]


def _validate(cfg, ds):
    net = _Net(ds.labels, ds.num_classes)
    loader = DataLoader(ds, batch_size=4, collate_fn=collate)

    class Task:
        def eval_logits(self, model, batch):
            model.index = batch["index"]
            return model(batch["inputs"])

    return validate(cfg, net, Task(), loader, torch.device("cpu"))


def test_validation_counts_reports_and_limits_bad_samples(synth_copy):
    _break_video(synth_copy, 0)
    cfg = make_cfg(synth_copy, DATA__MAX_BAD_FRACTION=0.5)
    ds = ssv2(cfg, "val")
    metrics = _validate(cfg, ds)
    assert metrics["num_samples"] == ds.num_videos - 1 and metrics["num_bad"] == 1
    assert metrics["top1"] == pytest.approx(100.0)  # the missing video is no (wrong) prediction
    cfg = make_cfg(synth_copy, DATA__MAX_BAD_FRACTION=0.0)
    with pytest.raises(DataQualityError, match=r"validation: 1 of \d+ samples .* without a prediction"):
        _validate(cfg, ssv2(cfg, "val"))


def test_class_count_warning_once_and_not_for_a_chosen_map(synth_root):
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    log = logging.getLogger(ssv2_mod.__name__)
    log.addHandler(handler)
    try:
        ssv2_mod._WARNED_CLASS_COUNTS.clear()
        for split in ("train", "val", "test", "val"):
            ssv2(make_cfg(synth_root), split)
        warned = [r for r in records if "usually has 174 classes" in r.getMessage()]
        assert len(warned) == 1
        records.clear()
        ssv2_mod._WARNED_CLASS_COUNTS.clear()
        for split in ("train", "val"):
            ssv2(make_cfg(synth_root, DATA__LABEL_MAP_FILE="something-something-v2-labels.json"), split)
        assert not [r for r in records if "usually has" in r.getMessage()]
    finally:
        log.removeHandler(handler)
    assert np.isfinite(1.0)


def test_test_phase_reports_an_unreadable_video_as_a_missing_prediction(synth_copy, tmp_path):
    """The test phase scores the readable videos, names the unreadable one as missing (never scores
    another video in its place) and stops when missing videos pass DATA.MAX_BAD_FRACTION."""
    import json

    from svit.engine.evaluator import run_test

    vid = _break_video(synth_copy, 2)

    class Task:
        def eval_logits(self, model, batch):
            model.index = batch["index"]
            return model(batch["inputs"])

    cfg = make_cfg(synth_copy, OUTPUT_DIR=str(tmp_path / "out"), DATA__MAX_BAD_FRACTION=0.5)
    ds = ssv2(cfg, "test")
    net = _Net(ds.labels, ds.num_classes)
    loader = DataLoader(ds, batch_size=4, collate_fn=collate)
    results = run_test(cfg, net, Task(), loader, torch.device("cpu"), None)
    on_disk = json.loads((tmp_path / "out" / "test_results.json").read_text())
    assert on_disk["missing_videos"] == [vid] and on_disk["num_missing_videos"] == 1
    assert results["num_videos"] == ds.num_videos - 1
    scores = np.load(tmp_path / "out" / "test_scores.npz")
    assert vid not in [str(v) for v in scores["video_ids"]]

    strict = make_cfg(synth_copy, OUTPUT_DIR=str(tmp_path / "strict"), DATA__MAX_BAD_FRACTION=0.0)
    with pytest.raises(DataQualityError, match="left without a prediction"):
        run_test(strict, net, Task(), DataLoader(ssv2(strict, "test"), batch_size=4, collate_fn=collate),
                 torch.device("cpu"), None)
