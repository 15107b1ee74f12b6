"""Semantic config checks at load time (issue 9, failure 7): a ConfigError naming the key."""
from __future__ import annotations

import pytest

from svit.config import ConfigError, load_config


@pytest.mark.parametrize(
    "opts, key",
    [
        (["DATA.NUM_FRAMES", "0"], "DATA.NUM_FRAMES"),
        (["SOLVER.BASE_LR", "-0.1"], "SOLVER.BASE_LR"),
        (["SOLVER.WARMUP_START_LR", "-1e-3"], "SOLVER.WARMUP_START_LR"),
        (["SOLVER.COSINE_END_LR", "-1e-6"], "SOLVER.COSINE_END_LR"),
        (["SOLVER.WEIGHT_DECAY", "-1e-4"], "SOLVER.WEIGHT_DECAY"),
        (["SOLVER.LR_POLICY", "steps_with_relative_lrs", "SOLVER.STEPS", "[0, 5]", "SOLVER.LRS", "[1, -0.1]"],
         "SOLVER.LRS[1]"),
        (["DATA.MEAN", "[0.45, 0.45]"], "DATA.MEAN"),
        (["DATA.STD", "[0.2, 0.2, 0.2, 0.2]"], "DATA.STD"),
        (["DATA.STD", "[0.2, 0.0, 0.2]"], "DATA.STD"),
        (["DATA.TRAIN_CROP_SIZE", "0"], "DATA.TRAIN_CROP_SIZE"),
        (["DATA.TEST_CROP_SIZE", "-1"], "DATA.TEST_CROP_SIZE"),
        (["DATA.SAMPLING_RATE", "0"], "DATA.SAMPLING_RATE"),
        (["MODEL.NUM_CLASSES", "0"], "MODEL.NUM_CLASSES"),
        (["MODEL.DROPOUT_RATE", "1.0"], "MODEL.DROPOUT_RATE"),
        (["MODEL.LABEL_SMOOTHING", "-0.1"], "MODEL.LABEL_SMOOTHING"),
        (["AUG.RE_PROB", "1.5"], "AUG.RE_PROB"),
        (["DATA.TRAIN_JITTER_SCALES", "[320, 256]"], "DATA.TRAIN_JITTER_SCALES"),
        (["DATA.TRAIN_JITTER_SCALES_RELATIVE", "[0.08]"], "DATA.TRAIN_JITTER_SCALES_RELATIVE"),
        (["DATA.CHANNEL_ORDER", "rgb"], "DATA.CHANNEL_ORDER"),
        (["DATA.DECODING_BACKEND", "ffmpeg"], "DATA.DECODING_BACKEND"),
        (["DATA_LOADER.NUM_WORKERS", "-2"], "DATA_LOADER.NUM_WORKERS"),
        (["LOG_PERIOD", "0"], "LOG_PERIOD"),
    ],
)
def test_bad_value_names_its_key(opts, key):
    with pytest.raises(ConfigError) as info:
        load_config(None, opts)
    assert key in str(info.value)


def test_mean_per_channel_agrees_with_input_channels():
    cfg = load_config(None, ["DATA.INPUT_CHANNEL_NUM", "[1]", "DATA.MEAN", "[0.5]", "DATA.STD", "[0.25]"])
    assert list(cfg.DATA.MEAN) == [0.5]
    with pytest.raises(ConfigError, match=r"DATA.MEAN has 3 values but the input has 1 channels"):
        load_config(None, ["DATA.INPUT_CHANNEL_NUM", "[1]", "DATA.STD", "[0.25]"])


def test_defaults_and_zero_learning_rate_end_are_valid():
    cfg = load_config(None, ["SOLVER.COSINE_END_LR", "0.0", "SOLVER.WARMUP_START_LR", "0.0"])
    assert cfg.SOLVER.COSINE_END_LR == 0.0
