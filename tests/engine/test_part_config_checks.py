"""Combinations a batch hook or the task cannot run are config errors before anything is built or
written (issue 19, item 9): ``check_config`` of every selected hook and task."""
from __future__ import annotations

import os

import engine_toy
import pytest
import torch
import torch.nn as nn

from svit.config import load_config
from svit.config.errors import ConfigError
from svit.engine.hooks import HOOK_REGISTRY, BatchHook
from svit.engine.launch import EXIT_CONFIG, launch_job, main
from svit.engine.part_checks import check_part_configs
from svit.models.registry import MODEL_REGISTRY

SVMIX = {
    "TRAIN.HOOKS": "['svmix']", "SVMIX.ENABLE": True, "SVMIX.INTER_RATIO": 0.5, "MODEL_EMA.ENABLE": True,
    "MODEL_EMA.DECAY": 0.9, "MODEL_EMA.UPDATE_BUFFERS": False, "TRAIN.EVAL_PERIOD": 0, "TEST.ENABLE": False,
    "SOLVER.MAX_EPOCH": 1,
}


class HalfGridNet(nn.Module):
    """A feature map at stride 2 (``forward_features``), for SV-Mix's whole-cell masks."""

    def __init__(self, cfg) -> None:
        super().__init__()
        self.conv = nn.Conv3d(3, 4, (1, 2, 2), stride=(1, 2, 2))
        self.head = nn.Linear(4, cfg.MODEL.NUM_CLASSES)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.conv(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.forward_features(x).mean(dim=(2, 3, 4)))


class NeedsEvenFrames(BatchHook):
    """A hook declaring a requirement of its own."""

    @classmethod
    def check_config(cls, cfg) -> None:
        if cfg.DATA.NUM_FRAMES % 2:
            raise ConfigError(f"even_frames needs an even DATA.NUM_FRAMES, got {cfg.DATA.NUM_FRAMES}")


if "HalfGridNet" not in MODEL_REGISTRY:
    MODEL_REGISTRY.register("HalfGridNet")(HalfGridNet)
if "h19_even_frames" not in HOOK_REGISTRY:
    HOOK_REGISTRY.register("h19_even_frames")(NeedsEvenFrames)


def cli(tmp_path, capsys, out, **overrides) -> tuple[int, str]:
    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text("")
    code = main(["--cfg", str(cfg_file), *engine_toy.toy_opts(str(out), **{**SVMIX, **overrides})])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("overrides, shown", [
    ({"TRAIN.BATCH_SIZE": 1}, "TRAIN.BATCH_SIZE 1 / (1 process(es) x TRAIN.GRAD_ACCUM_STEPS 1) gives 1"),
    ({"TRAIN.BATCH_SIZE": 2, "NUM_CPU_PROCS": 2}, "TRAIN.BATCH_SIZE 2 / (2 process(es)"),
    ({"TRAIN.BATCH_SIZE": 4, "TRAIN.GRAD_ACCUM_STEPS": 4}, "TRAIN.GRAD_ACCUM_STEPS 4) gives 1"),
], ids=["batch1", "two_procs", "accum"])
def test_svmix_with_one_clip_per_process_step_is_a_config_error(tmp_path, capsys, overrides, shown):
    out = tmp_path / "run"
    code, err = cli(tmp_path, capsys, out, **overrides)
    assert code == EXIT_CONFIG
    assert shown in err and "at least 2" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()  # refused before any folder, log or config.yaml


@pytest.mark.parametrize("overrides, match", [
    ({"MODEL_EMA.ENABLE": False}, "MODEL_EMA.ENABLE True"),
    ({"MIXUP.ENABLE": True}, r"svmix writes its own soft targets.*mixup_cutmix"),
    ({"SVMIX.TEMPORAL_ALPHA": 0.0}, "SVMIX.TEMPORAL_ALPHA is a Beta parameter"),
    ({"SVMIX.MIX_PROB": 1.5}, "SVMIX.MIX_PROB is a probability"),
    ({"SVMIX.LR_SCHEDULE": "cosine"}, "SVMIX.LR_SCHEDULE must be one of"),
])
def test_svmix_requirements_are_checked_before_anything_is_written(tmp_path, overrides, match):
    out = tmp_path / "run"
    cfg = load_config(None, engine_toy.toy_opts(str(out), **{**SVMIX, "TRAIN.BATCH_SIZE": 8, **overrides}))
    with pytest.raises(ConfigError, match=match):
        launch_job(cfg, func=engine_toy.run_toy)
    assert not out.exists()


def test_unused_beta_parameter_is_not_checked():
    cfg = load_config(None, engine_toy.toy_opts("/nonexistent", **{
        **SVMIX, "SVMIX.SWITCH_PROB": 0.0, "SVMIX.SPATIAL_ALPHA": 0.0}))
    check_part_configs(cfg)  # the spatial mode is never drawn


def test_svmix_feature_grid_that_does_not_divide_the_clip_is_a_config_error(tmp_path):
    out = tmp_path / "run"
    cfg = load_config(None, engine_toy.toy_opts(str(out), **{
        **SVMIX, "MODEL.MODEL_NAME": "HalfGridNet", "DATA.TRAIN_CROP_SIZE": 5, "DATA.TEST_CROP_SIZE": 5}))
    with pytest.raises(ConfigError, match=r"DATA.TRAIN_CROP_SIZE 5.*whole multiple of the feature grid"):
        launch_job(cfg, func=engine_toy.run_toy)
    assert not (out / "config.yaml").exists() and not (out / "stats.jsonl").exists()


def test_svmix_runs_with_two_clips_per_process(tmp_path):
    out = tmp_path / "run"
    cfg = load_config(None, engine_toy.toy_opts(str(out), **{
        **SVMIX, "MODEL.MODEL_NAME": "HalfGridNet", "TRAIN.BATCH_SIZE": 2, "TRAIN.MAX_STEPS_PER_EPOCH": 2}))
    launch_job(cfg, func=engine_toy.run_toy)
    assert os.path.isfile(out / "checkpoints" / "checkpoint_epoch_00001.pyth")


def test_every_selected_hook_declares_its_requirements(tmp_path):
    out = tmp_path / "run"
    cfg = load_config(None, engine_toy.toy_opts(str(out), **{
        "TRAIN.HOOKS": "['h19_even_frames']", "DATA.NUM_FRAMES": 3, "TEST.ENABLE": False}))
    with pytest.raises(ConfigError, match="even DATA.NUM_FRAMES, got 3"):
        launch_job(cfg, func=engine_toy.run_toy)
    assert not out.exists()


@pytest.mark.parametrize("overrides, match", [
    ({"IMAGE_TRAIN.DATASETS": "[]"}, "IMAGE_TRAIN.DATASETS is empty"),
    ({"IMAGE_TRAIN.DATASETS": "['toy_pattern']", "IMAGE_TRAIN.BATCH_SIZE": 3, "NUM_CPU_PROCS": 2},
     "IMAGE_TRAIN.BATCH_SIZE 3 must be a positive multiple"),
])
def test_svit_cotrain_requirements_are_config_errors(tmp_path, capsys, overrides, match):
    out = tmp_path / "run"
    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text("")
    opts = engine_toy.toy_opts(str(out), **{"TRAIN.TASK": "svit_cotrain", "IMAGE_TRAIN.ENABLE": True,
                                            "TRAIN.FORWARD_VIDEO_FRAMES": False, "TEST.ENABLE": False, **overrides})
    assert main(["--cfg", str(cfg_file), *opts]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert "IMAGE_TRAIN" in err and "Traceback" not in err
    with pytest.raises(ConfigError, match=match):
        check_part_configs(load_config(None, opts))
    assert not out.exists()


def test_svit_cotrain_images_need_a_model_that_takes_them(tmp_path):
    out = tmp_path / "run"
    cfg = load_config(None, engine_toy.toy_opts(str(out), **{
        "TRAIN.TASK": "svit_cotrain", "IMAGE_TRAIN.ENABLE": True, "IMAGE_TRAIN.DATASETS": "['toy_pattern']",
        "TRAIN.FORWARD_VIDEO_FRAMES": False, "TEST.ENABLE": False}))
    with pytest.raises(ConfigError, match=r"forward takes images=.*TinyLinear"):
        launch_job(cfg, func=engine_toy.run_toy)
    assert not (out / "config.yaml").exists()


def test_mixup_with_one_clip_per_process_step_is_a_config_error(tmp_path, capsys):
    out = tmp_path / "run"
    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text("")
    opts = engine_toy.toy_opts(str(out), **{"MIXUP.ENABLE": True, "TRAIN.BATCH_SIZE": 2, "NUM_CPU_PROCS": 2,
                                            "TEST.ENABLE": False})
    assert main(["--cfg", str(cfg_file), *opts]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert "mixup_cutmix mixes each clip" in err and "TRAIN.BATCH_SIZE 2 / (2 process(es)" in err
    assert not out.exists()
    check_part_configs(load_config(None, engine_toy.toy_opts(str(out), **{
        "MIXUP.ENABLE": True, "MIXUP.PROB": 0.0, "TRAIN.BATCH_SIZE": 1})))  # never mixes: nothing to refuse
