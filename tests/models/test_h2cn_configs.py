"""H2CN configs: the snippet convention, the recipe of spec h2cn.md §6 and the test protocols of §8."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from svit.config import load_config
from svit.models import build_model

REPO = Path(__file__).resolve().parents[2]
DATASETS = ("ssv2", "mini_ssv2", "k400", "mini_k400")


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("segments", (8, 16))
def test_recipe_configs(dataset, segments):
    cfg = load_config(str(REPO / "configs" / "cnn" / dataset / f"h2cn_r50_f{segments}.yaml"))
    assert cfg.MODEL.MODEL_NAME == "H2CN" and cfg.H2CN.DEPTH == 50 and cfg.H2CN.BASE_WIDTH == 64
    # Segments x snippets: the loader must deliver 5 consecutive frames per segment, in every split.
    assert cfg.DATA.NUM_FRAMES == segments
    assert cfg.DATA.FRAMES_PER_SEGMENT == cfg.H2CN.SNIPPET_LEN == 5
    assert cfg.DATA.SAMPLING == "segment" and cfg.DATA.TRAIN_CROP_MODE == "tsn_multiscale"
    assert cfg.TRAIN.DATASET == cfg.TEST.DATASET == "tsn_list" and cfg.LIST_DATA.FORMAT == "tsn"
    assert cfg.TRAIN.EVAL_PERIOD == 1 and cfg.TEST.SAVE_RESULTS
    s = cfg.SOLVER
    assert (s.OPTIMIZING_METHOD, s.BASE_LR, s.MOMENTUM, s.NESTEROV, s.WEIGHT_DECAY) == ("sgd", 0.01, 0.9, False, 5e-4)
    assert list(s.STEPS) == [0, 30, 45, 55] and list(s.LRS) == pytest.approx([1, 0.1, 0.01, 0.001])
    assert s.MAX_EPOCH == 60 and s.CLIP_GRAD_L2NORM == 20.0 and cfg.TRAIN.BATCH_SIZE == 8
    assert cfg.MODEL.DROPOUT_RATE == 0.5 and not cfg.CNN.PARTIAL_BN
    assert list(cfg.DATA.MEAN) == [0.485, 0.456, 0.406]
    views = (cfg.TEST.NUM_ENSEMBLE_VIEWS, cfg.TEST.NUM_SPATIAL_CROPS)
    if "k400" in dataset:
        assert views == (10, 3) and cfg.DATA.TEST_CROP_SIZE == 256
        assert not cfg.LIST_DATA.FLIP_SWAP_PAIRS
    else:
        assert views == (1, 1) and cfg.DATA.TEST_CROP_SIZE == 224
    if dataset == "ssv2":
        assert [list(p) for p in cfg.LIST_DATA.FLIP_SWAP_PAIRS] == [[86, 87], [93, 94], [166, 167]]
    assert cfg.OUTPUT_DIR.endswith(f"{dataset}/h2cn_r50_f{segments}")


def test_synthetic_config_builds_a_small_model():
    cfg = load_config(str(REPO / "configs" / "synthetic" / "h2cn_tiny.yaml"))
    assert cfg.TRAIN.DATASET == "synthetic_ssv2" and cfg.NUM_GPUS == 0 and cfg.TRAIN.MAX_STEPS_PER_EPOCH > 0
    assert cfg.DATA.NUM_FRAMES * cfg.DATA.FRAMES_PER_SEGMENT <= cfg.SYNTHETIC.NUM_FRAMES_PER_VIDEO
    model = build_model(cfg)
    assert sum(p.numel() for p in model.parameters()) < 1_500_000
    frames = cfg.DATA.NUM_FRAMES * cfg.DATA.FRAMES_PER_SEGMENT
    out = model(torch.randn(2, 3, frames, cfg.DATA.TRAIN_CROP_SIZE, cfg.DATA.TRAIN_CROP_SIZE))
    assert out.shape == (2, cfg.MODEL.NUM_CLASSES)
