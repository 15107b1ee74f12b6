"""Named test protocols: readouts over view subsets, full-resolution passes, both numbers recorded."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from svit.config import load_config
from svit.config.defaults import get_cfg
from svit.data.synthetic.generate import generate_synthetic_ssv2
from svit.engine import protocols
from svit.engine.run import run_phases
from tests.data.prepare_helpers import REPO, restored_svit_logger


def _cfg(name: str, clips: int, crops: int):
    cfg = get_cfg()
    cfg.TEST.PROTOCOL = name
    cfg.TEST.NUM_ENSEMBLE_VIEWS = clips
    cfg.TEST.NUM_SPATIAL_CROPS = crops
    return cfg


def test_svmix_readouts_average_the_centre_crop_or_all_crops() -> None:
    cfg = _cfg("svmix", 2, 3)
    num_videos, k = 2, 4
    index = np.repeat(np.arange(num_videos), 6)
    view = np.tile(np.arange(6), num_videos)
    labels = np.array([1, 2])
    scores = np.zeros((12, k), np.float32)
    for row, (v, w) in enumerate(zip(index, view)):
        centre = w % 3 == 1
        # centre crops score the true class 0.6; side crops put 0.9 on a wrong class (3)
        scores[row, labels[v] if centre else 3] = 0.6 if centre else 0.9
    p = protocols.current_pass(cfg)
    out = protocols.readouts(cfg, p, index, view, scores, labels, num_videos)
    assert set(out) == {"acc_1crop", "acc_3crop"}
    assert out["acc_1crop"]["top1"] == 100.0 and out["acc_1crop"]["num_views"] == 2
    assert out["acc_3crop"]["top1"] == 0.0 and out["acc_3crop"]["num_views"] == 6


def test_pass_config_full_resolution_and_view_counts() -> None:
    cfg = get_cfg()
    cfg.DATA.TEST_CROP_SIZE, cfg.DATA.TEST_SCALE_SIZE = 224, 256
    tdn = protocols.get_protocol("tdn")
    first, second = (protocols.pass_config(cfg, p) for p in tdn.passes)
    assert (first.TEST.NUM_ENSEMBLE_VIEWS, first.TEST.NUM_SPATIAL_CROPS, first.DATA.TEST_CROP_SIZE) == (1, 1, 224)
    assert (second.TEST.NUM_ENSEMBLE_VIEWS, second.TEST.NUM_SPATIAL_CROPS) == (10, 3)
    assert second.DATA.TEST_CROP_SIZE == second.DATA.TEST_SCALE_SIZE == 256
    side = protocols.pass_config(cfg, protocols.get_protocol("side4video").passes[0])
    assert (side.TEST.NUM_ENSEMBLE_VIEWS, side.TEST.NUM_SPATIAL_CROPS) == (4, 3)
    with pytest.raises(ValueError, match="TEST.PROTOCOL"):
        protocols.get_protocol("tsm")


def test_tdn_protocol_run_records_both_numbers(tmp_path) -> None:
    root = generate_synthetic_ssv2(str(tmp_path / "synth"), 24, seed=1, num_frames=12, size=48, workers=1,
                                   write_videos=False, progress=False)
    out = tmp_path / "run"
    cfg = load_config(str(REPO / "configs" / "synthetic" / "tsn_tiny.yaml"), [
        "SYNTHETIC.ROOT", root, "OUTPUT_DIR", str(out), "SOLVER.MAX_EPOCH", "1", "TRAIN.MAX_STEPS_PER_EPOCH", "1",
        "TRAIN.EVAL_PERIOD", "5", "DATA.NUM_FRAMES", "4", "DATA.TRAIN_CROP_SIZE", "32", "DATA.TEST_CROP_SIZE", "32",
        "DATA.TRAIN_JITTER_SCALES", "[32, 40]", "DATA.TEST_SCALE_SIZE", "40", "TEST.PROTOCOL", "tdn",
        "TENSORBOARD.ENABLE", "False", "CNN.WITHOUT_T_STRIDE", "True"])
    with restored_svit_logger():
        result = run_phases(cfg, torch.device("cpu"))["test"]
    written = json.loads((out / "test_results.json").read_text())
    assert written["protocol"]["protocol"]["name"] == "tdn"
    both = written["protocol_results"]
    assert set(both) == {"1clip_centre", "10clip_3crop_fullres"}
    assert (both["1clip_centre"]["num_views"], both["1clip_centre"]["crop_size"]) == (1, 32)
    assert (both["10clip_3crop_fullres"]["num_views"], both["10clip_3crop_fullres"]["crop_size"]) == (30, 40)
    assert both["10clip_3crop_fullres"]["top1"] == pytest.approx(written["top1"])
    assert result["protocol_results"] == both
    first = json.loads((out / "protocol_1clip_centre" / "test_results.json").read_text())
    assert first["top1"] == pytest.approx(both["1clip_centre"]["top1"]) and first["num_views"] == first["num_videos"]
