"""Config loading: defaults, yaml (_BASE_), command line, legacy keys, errors, validation."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

from svit.config import ConfigError, LegacyConfigWarning, get_cfg, load_config, validate_world_size
from svit.engine.launch_args import parse_args

# A verbatim copy of eladb3/SViT configs/ssv2.yaml (commit bf0ab3e).
SVIT_SSV2_YAML = """AUG:
  AA_TYPE: rand-m7-n4-mstd0.5-inc1
  COLOR_JITTER: 0.4
  ENABLE: true
  INTERPOLATION: bicubic
  NUM_SAMPLE: 1
  RE_COUNT: 1
  RE_MODE: pixel
  RE_PROB: 0.25
  RE_SPLIT: false
BN:
  NUM_BATCHES_PRECISE: 200
  USE_PRECISE_STATS: false
DATA:
  DECODING_BACKEND: torchvision
  INPUT_CHANNEL_NUM:
  - 3
  NUM_FRAMES: 16
  PATH_PREFIX: /home/datasets/smthsmth/frames
  PATH_TO_DATA_DIR: /home/datasets/
  RANDOM_FLIP: false
  SAMPLING_RATE: 2
  TEST_CROP_SIZE: 224
  TRAIN_CROP_SIZE: 224
  TRAIN_JITTER_ASPECT_RELATIVE:
  - 0.75
  - 1.3333
  TRAIN_JITTER_SCALES:
  - 256
  - 320
  TRAIN_JITTER_SCALES_RELATIVE:
  - 0.08
  - 1.0
  USE_OFFSET_SAMPLING: true
DATA_LOADER:
  NUM_WORKERS: 7
  PIN_MEMORY: true
DDP_FIND_UNUSED_PARAMETERS: false
IMAGE_TRAIN:
  BATCH_SIZE: 63
  DATASETS:
  - ssv2_frames
  GPU_IDS:
  - 7
MIXUP:
  ALPHA: 0.8
  CUTMIX_ALPHA: 1.0
  ENABLE: false
  LABEL_SMOOTH_VALUE: 0.1
  PROB: 1.0
  SWITCH_PROB: 0.5
MODEL:
  ARCH: mvit
  DROPOUT_RATE: 0.5
  LOSS_FUNC: video_image_loss
  MODEL_NAME: SViT
  NUM_CLASSES: 174
MVIT:
  CLS_EMBED_ON: true
  DEPTH: 16
  DIM_MUL:
  - - 1
    - 2.0
  - - 3
    - 2.0
  - - 14
    - 2.0
  DIM_MUL_IN_ATT: true
  DROPOUT_RATE: 0.0
  DROPPATH_RATE: 0.4
  EMBED_DIM: 96
  HEAD_MUL:
  - - 1
    - 2.0
  - - 3
    - 2.0
  - - 14
    - 2.0
  MLP_RATIO: 4.0
  MODE: conv
  NORM: layernorm
  NUM_HEADS: 1
  PATCH_KERNEL: (3, 7, 7)
  PATCH_PADDING: (1, 3, 3)
  PATCH_STRIDE: (2, 4, 4)
  POOL_KVQ_KERNEL:
  - 3
  - 3
  - 3
  POOL_KV_STRIDE_ADAPTIVE:
  - 1
  - 8
  - 8
  POOL_Q_STRIDE:
  - - 0
    - 1
    - 1
    - 1
  - - 1
    - 1
    - 2
    - 2
  - - 2
    - 1
    - 1
    - 1
  - - 3
    - 1
    - 2
    - 2
  - - 4
    - 1
    - 1
    - 1
  - - 5
    - 1
    - 1
    - 1
  - - 6
    - 1
    - 1
    - 1
  - - 7
    - 1
    - 1
    - 1
  - - 8
    - 1
    - 1
    - 1
  - - 9
    - 1
    - 1
    - 1
  - - 10
    - 1
    - 1
    - 1
  - - 11
    - 1
    - 1
    - 1
  - - 12
    - 1
    - 1
    - 1
  - - 13
    - 1
    - 1
    - 1
  - - 14
    - 1
    - 2
    - 2
  - - 15
    - 1
    - 1
    - 1
  QKV_BIAS: true
  REL_POS_SPATIAL: true
  REL_POS_TEMPORAL: true
  RESIDUAL_POOLING: true
  USE_ABS_POS: false
  ZERO_DECAY_POS_CLS: false
NUM_GPUS: 8
NUM_SHARDS: 1
OUTPUT_DIR: .
RNG_SEED: 0
SOLVER:
  BASE_LR: 2e-4
  BASE_LR_SCALE_NUM_SHARDS: true
  CLIP_GRAD_L2NORM: 1.0
  COSINE_AFTER_WARMUP: true
  COSINE_END_LR: 2e-6
  LR_POLICY: cosine
  MAX_EPOCH: 50
  MOMENTUM: 0.9
  OPTIMIZING_METHOD: adamw
  WARMUP_EPOCHS: 0.0
  WARMUP_START_LR: 2e-6
  WEIGHT_DECAY: 0.0001
  ZERO_WD_1D_PARAM: true
SSV2:
  SPLIT: standard
SVIT:
  LAMBDA_CON: 1.5
  LAMBDA_EDGES: 0.3
  LAMBDA_NODES: 3.7
TEST:
  BATCH_SIZE: 64
  DATASET: ssv2
  ENABLE: true
  NUM_SPATIAL_CROPS: 3
TRAIN:
  AUTO_RESUME: true
  BATCH_SIZE: 63
  CHECKPOINT_EPOCH_RESET: true
  CHECKPOINT_FILE_PATH: "" # Path to pretrained
  CHECKPOINT_PERIOD: 1
  CHECKPOINT_TYPE: pytorch
  DATASET: ssv2
  ENABLE: true
  EVAL_PERIOD: 5
  MIXED_PRECISION: true
"""


def load_capturing(path, opts=None):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cfg = load_config(str(path) if path else None, opts)
    return cfg, [w for w in caught if issubclass(w.category, LegacyConfigWarning)], caught


def test_original_svit_ssv2_yaml_loads_with_one_warning(tmp_path):
    f = tmp_path / "ssv2.yaml"
    f.write_text(SVIT_SSV2_YAML)
    cfg, legacy, caught = load_capturing(f)
    assert len(legacy) == 1 and len(caught) == 1
    msg = str(legacy[0].message)
    assert "DATA.USE_OFFSET_SAMPLING" in msg and "IMAGE_TRAIN.GPU_IDS" in msg and "torchvision" in msg
    assert cfg.MVIT.PATCH_KERNEL == [3, 7, 7] and cfg.MVIT.PATCH_STRIDE == [2, 4, 4]
    assert cfg.SOLVER.BASE_LR == pytest.approx(2e-4) and cfg.SOLVER.COSINE_END_LR == pytest.approx(2e-6)
    assert cfg.SOLVER.COSINE_AFTER_WARMUP is True and cfg.TRAIN.CHECKPOINT_TYPE == "pytorch"
    assert cfg.DATA.DECODING_BACKEND == "frames" and cfg.SSV2.SPLIT == "standard"
    assert cfg.MVIT.POOL_Q_STRIDE[14] == [14, 1, 2, 2] and cfg.TRAIN.BATCH_SIZE == 63
    # SViT's video_image_loss is mapped onto the co-training task (svit.config.legacy.MAPPED_VALUES).
    assert cfg.MODEL.LOSS_FUNC == "cross_entropy" and cfg.TRAIN.TASK == "svit_cotrain"
    assert cfg.IMAGE_TRAIN.ENABLE is True and "video_image_loss" in msg and cfg.NUM_GPUS == 8


def test_ssv2_data_root_maps_to_both_paths(tmp_path):
    cfg, legacy, _ = load_capturing(None, ["SSV2.DATA_ROOT", "/data/ssv2"])
    assert cfg.DATA.PATH_TO_DATA_DIR == "/data/ssv2" and cfg.DATA.PATH_PREFIX == "/data/ssv2"
    assert len(legacy) == 1 and "SSV2.DATA_ROOT" in str(legacy[0].message)


def test_no_warning_for_clean_config():
    _, legacy, _ = load_capturing(None, ["SOLVER.BASE_LR", "1"])
    assert legacy == []


def test_base_inheritance_and_precedence(tmp_path):
    (tmp_path / "base.yaml").write_text("SOLVER:\n  BASE_LR: 0.5\n  MAX_EPOCH: 7\nTRAIN:\n  BATCH_SIZE: 16\n")
    (tmp_path / "child.yaml").write_text("_BASE_: base.yaml\nSOLVER:\n  BASE_LR: 0.25\n")
    cfg = load_config(str(tmp_path / "child.yaml"), ["TRAIN.BATCH_SIZE", "32"])
    assert cfg.SOLVER.BASE_LR == 0.25 and cfg.SOLVER.MAX_EPOCH == 7 and cfg.TRAIN.BATCH_SIZE == 32
    # int given for a float key and a tuple string for a list key are accepted
    cfg = load_config(None, ["SOLVER.BASE_LR", "1", "MVIT.PATCH_KERNEL", "(1, 2, 2)", "OUTPUT_DIR", "123"])
    assert cfg.SOLVER.BASE_LR == 1.0 and isinstance(cfg.SOLVER.BASE_LR, float)
    assert cfg.MVIT.PATCH_KERNEL == [1, 2, 2] and cfg.OUTPUT_DIR == "123"


def test_unknown_key_names_closest_keys():
    with pytest.raises(ConfigError, match=r"SOLVER\.BASE_LRR.*SOLVER\.BASE_LR"):
        load_config(None, ["SOLVER.BASE_LRR", "0.1"])


def test_wrong_type_names_key_type_and_value(tmp_path):
    with pytest.raises(ConfigError, match=r"SOLVER\.BASE_LR.*number.*'fast'"):
        load_config(None, ["SOLVER.BASE_LR", "fast"])
    f = tmp_path / "bad_type.yaml"
    f.write_text("TRAIN:\n  ENABLE: 3\n")
    with pytest.raises(ConfigError, match=r"TRAIN\.ENABLE.*bad_type\.yaml.*boolean"):
        load_config(str(f))


@pytest.mark.parametrize(
    "content,pattern",
    [(None, "not found"), ("SOLVER: [unclosed\n", "Bad YAML"), ("- 1\n- 2\n", "mapping")],
)
def test_file_errors_name_the_file(tmp_path, content, pattern):
    f = tmp_path / "c.yaml"
    if content is not None:
        f.write_text(content)
    with pytest.raises(ConfigError, match=pattern) as e:
        load_config(str(f))
    assert "c.yaml" in str(e.value)


def test_missing_base_file_is_config_error(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("_BASE_: nowhere.yaml\n")
    with pytest.raises(ConfigError, match="c.yaml"):
        load_config(str(f))


@pytest.mark.parametrize(
    "opts,key",
    [
        (["TEST.NUM_SPATIAL_CROPS", "2"], "TEST.NUM_SPATIAL_CROPS"),
        (["TEST.ENSEMBLE_METHOD", "median"], "TEST.ENSEMBLE_METHOD"),
        (
            ["SOLVER.LR_POLICY", "steps_with_relative_lrs", "SOLVER.STEPS", "[0, 5]", "SOLVER.LRS", "[1]"],
            "SOLVER.STEPS",
        ),
        (["SHARD_ID", "2", "NUM_SHARDS", "2"], "SHARD_ID"),
    ],
)
def test_inconsistent_values_name_the_key(opts, key):
    with pytest.raises(ConfigError, match=re.escape(key)):
        load_config(None, opts)


def test_batch_must_divide_world_size():
    cfg = load_config(None, ["TRAIN.BATCH_SIZE", "6"])
    validate_world_size(cfg, 2)
    with pytest.raises(ConfigError, match="TRAIN.BATCH_SIZE"):
        validate_world_size(cfg, 4)


def test_every_default_key_has_a_comment():
    """The shared keys are read from defaults.yaml by the loader that refuses a key without its comment
    (tests/config/test_key_file.py); here: that file is where they come from, and each key has one."""
    src = (Path(__file__).resolve().parents[2] / "svit" / "config" / "defaults.yaml").read_text().splitlines()
    keys = [i for i, line in enumerate(src) if re.match(r"^ *[A-Z][A-Z0-9_]*:", line)]
    assert len(keys) > 150 and all(src[i - 1].lstrip().startswith("#") for i in keys)
    assert "NUM_CPU_PROCS" in get_cfg() and "NUM_CPU_PROCS:" in src[keys[1]]


def test_cli_forms():
    a = parse_args(["--cfg", "f.yaml", "A.B", "1", "C.D", "-2"])
    b = parse_args(["--cfg", "f.yaml", "--opts", "A.B", "1", "C.D", "-2"])
    assert a.cfg_file == b.cfg_file == "f.yaml" and a.opts == b.opts == ["A.B", "1", "C.D", "-2"]
    c = parse_args(["--init_method", "file:///tmp/x", "--num_shards", "2", "--shard_id", "1", "--cfg", "f"])
    assert c.init_method == "file:///tmp/x" and c.opts == ["NUM_SHARDS", "2", "SHARD_ID", "1"]
