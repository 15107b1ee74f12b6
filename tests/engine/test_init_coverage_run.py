"""The engine applies TRAIN.CHECKPOINT_MIN_LOADED to TRAIN.CHECKPOINT_FILE_PATH (issue 19, item 3):
a file of another model stops the run before anything is written; 0 accepts it on purpose."""
from __future__ import annotations

import os

import engine_toy  # noqa: F401  (registers toy parts)
import pytest
import torch

from svit.checkpoint import CheckpointError
from svit.config import load_config
from svit.engine.launch import launch_job
from svit.run_folder import last_checkpoint


def _other_model_file(tmp_path) -> str:
    """A state dict that shares only the classifier's name with TinyBN (conv/bn are not in it)."""
    path = str(tmp_path / "other.pth")
    state = {"encoder.weight": torch.ones(4, 3), "head.weight": torch.ones(3, 16), "head.bias": torch.zeros(3)}
    torch.save(state, path)
    return path


def _run(tmp_path, **overrides):
    out = str(tmp_path / "run")
    opts = engine_toy.toy_opts(out, **{"MODEL.MODEL_NAME": "TinyBN", "SOLVER.MAX_EPOCH": 1,
                                       "TRAIN.CHECKPOINT_FILE_PATH": _other_model_file(tmp_path), **overrides})
    launch_job(load_config(None, opts), func=engine_toy.run_toy)
    return out


def test_fine_tune_from_another_models_file_is_an_error(tmp_path):
    with pytest.raises(CheckpointError, match=r"other\.pth initialises only 0% .*encoder\.weight"):
        _run(tmp_path)
    out = str(tmp_path / "run")
    assert last_checkpoint(out) is None
    assert not os.path.exists(os.path.join(out, "test_results.json"))


def test_min_loaded_zero_accepts_it_on_purpose(tmp_path):
    out = _run(tmp_path, **{"TRAIN.CHECKPOINT_MIN_LOADED": 0})
    assert last_checkpoint(out) is not None


def test_test_only_run_falling_back_to_another_models_file_is_an_error(tmp_path):
    """TRAIN.ENABLE False with only TRAIN.CHECKPOINT_FILE_PATH: the test phase's initialisation."""
    with pytest.raises(CheckpointError, match=r"other\.pth initialises only 0% "):
        _run(tmp_path, **{"TRAIN.ENABLE": False})
    assert not os.path.exists(os.path.join(str(tmp_path / "run"), "test_results.json"))
