"""Config files that are empty or hold no mapping: defaults or one ConfigError naming the file."""
from __future__ import annotations

import pytest

from svit.config import ConfigError, get_cfg, load_config


def test_empty_file_loads_the_defaults(tmp_path):
    f = tmp_path / "empty.yaml"
    f.write_text("# only a comment\n")
    assert load_config(str(f)) == get_cfg()


@pytest.mark.parametrize("content", ["just a string\n", "42\n"])
def test_scalar_file_is_a_config_error(tmp_path, content):
    f = tmp_path / "scalar.yaml"
    f.write_text(content)
    with pytest.raises(ConfigError, match=r"scalar\.yaml.*mapping"):
        load_config(str(f))


def test_empty_base_file_is_a_config_error_naming_the_child(tmp_path):
    (tmp_path / "base.yaml").write_text("")
    child = tmp_path / "child.yaml"
    child.write_text("_BASE_: base.yaml\nTRAIN:\n  BATCH_SIZE: 4\n")
    with pytest.raises(ConfigError, match=r"child\.yaml"):
        load_config(str(child))


# Excerpts of PySlowFast's released configs (configs/SSv2/MVITv2_S_16x4.yaml and
# SLOWFAST_16x8_R50_multigrid.yaml): every key they use that svit does not have is listed.
PYSLOWFAST_MVIT = """\
TRAIN:
  DATASET: ssv2
  BATCH_SIZE: 16
  # CHECKPOINT_FILE_PATH:
  CHECKPOINT_TYPE: pytorch
DATA:
  DECODING_BACKEND: torchvision
  INV_UNIFORM_SAMPLE: True
  REVERSE_INPUT_CHANNEL: True
MVIT:
  PATCH_KERNEL: (3, 7, 7)
  NORM: "layernorm"
  DIM_MUL: [[1, 2.0], [3, 2.0], [14, 2.0]]
SOLVER:
  COSINE_END_LR: 1e-6
  WARMUP_EPOCHS: 3.0
MODEL:
  LOSS_FUNC: soft_cross_entropy
NUM_GPUS: 8
PREFETCH:
  NUM_LOADERS: 3
"""

PYSLOWFAST_SLOWFAST_MULTIGRID = """\
MULTIGRID:
  SHORT_CYCLE: True
TRAIN:
  CHECKPOINT_FILE_PATH: SLOWFAST_8x8_R50.pkl # please download from the model zoo.
SLOWFAST:
  ALPHA: 4
NONLOCAL:
  LOCATION: [[[], []], [[], []], [[], []], [[], []]]
BN:
  USE_PRECISE_STATS: True
  MOMENTUM: 0.1
  NORM_TYPE: sync_batchnorm
SOLVER:
  LR_POLICY: steps_with_relative_lrs
  LRS: [1, 0.1, 0.01, 0.001, 0.0001, 0.00001]
  STEPS: [0, 14, 18]
  WARMUP_FACTOR: 0.1
LOG_MODEL_INFO: False
"""


@pytest.mark.parametrize("text,expected", [
    (PYSLOWFAST_MVIT, ["PREFETCH", "DATA.INV_UNIFORM_SAMPLE", "DATA.REVERSE_INPUT_CHANNEL"]),
    (PYSLOWFAST_SLOWFAST_MULTIGRID, ["MULTIGRID", "BN.MOMENTUM", "SOLVER.WARMUP_FACTOR", "SLOWFAST"]),
])
def test_pyslowfast_configs_load_with_one_warning(tmp_path, text, expected):
    import warnings

    from svit.config import LegacyConfigWarning

    f = tmp_path / "psf.yaml"
    f.write_text(text)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cfg = load_config(str(f))
    legacy = [w for w in caught if issubclass(w.category, LegacyConfigWarning)]
    assert len(legacy) == 1
    for key in expected:
        assert key in str(legacy[0].message)
    if "STEPS" in text:  # PySlowFast lists more LRS than STEPS
        assert cfg.SOLVER.STEPS == [0, 14, 18] and len(cfg.SOLVER.LRS) == 6
