"""End-to-end cross-checks of the engine: exact resume WITH data workers and random augmentation,
strict test checkpoints, unlabelled test sets, nested batches."""
from __future__ import annotations

import json
import os
import shutil

import engine_toy
import numpy as np
import pytest
import torch

from svit.checkpoint import CheckpointError, read_checkpoint
from svit.config import load_config
from svit.data.registry import DATASET_REGISTRY
from svit.engine.device import to_device
from svit.engine.launch import launch_job
from svit.run_folder import checkpoint_path


class RandomShiftClips(engine_toy.PatternClips):
    """PatternClips plus a random brightness shift drawn from NumPy, like real augmentation."""

    def __getitem__(self, i: int) -> dict:
        item = super().__getitem__(i)
        item["inputs"] = item["inputs"] + 0.5 * float(np.random.rand())
        return item


class UnlabelledClips(engine_toy.PatternClips):
    """A test list without labels (label -1 everywhere)."""

    def __init__(self, cfg, split):
        super().__init__(cfg, split)
        self.labels = [-1] * self.num_videos

    def __getitem__(self, i: int) -> dict:
        item = super().__getitem__(i)
        item["label"] = -1
        return item


if "xc_random_shift" not in DATASET_REGISTRY:
    DATASET_REGISTRY.register("xc_random_shift")(lambda cfg, split: RandomShiftClips(cfg, split))
    DATASET_REGISTRY.register("xc_unlabelled")(lambda cfg, split: UnlabelledClips(cfg, split))


def _run(out: str, **overrides):
    cfg = load_config(None, engine_toy.toy_opts(out, **overrides))
    return launch_job(cfg, func=engine_toy.run_toy)


def test_resume_is_exact_with_two_workers_and_random_augmentation(tmp_path):
    opts = {"TRAIN.DATASET": "xc_random_shift", "DATA_LOADER.NUM_WORKERS": 2, "TEST.ENABLE": False,
            "TRAIN.EVAL_PERIOD": 0}
    straight, resumed = str(tmp_path / "straight"), str(tmp_path / "resumed")
    _run(straight, **opts)
    # A run killed after epoch 1 has exactly the epoch-1 checkpoint; the rerun resumes from it.
    os.makedirs(os.path.join(resumed, "checkpoints"))
    shutil.copy(checkpoint_path(straight, 1), os.path.join(resumed, "checkpoints"))
    _run(resumed, **opts)
    a = read_checkpoint(checkpoint_path(straight, 2))["model_state"]
    b = read_checkpoint(checkpoint_path(resumed, 2))["model_state"]
    for k in a:
        assert torch.equal(a[k], b[k]), k
    # The augmentation does not depend on the worker count either.
    no_workers = str(tmp_path / "no_workers")
    _run(no_workers, **{**opts, "DATA_LOADER.NUM_WORKERS": 0})
    c = read_checkpoint(checkpoint_path(no_workers, 2))["model_state"]
    for k in a:
        assert torch.equal(a[k], c[k]), k


def test_test_checkpoint_is_loaded_strictly(tmp_path):
    trained = str(tmp_path / "trained")
    _run(trained, **{"SOLVER.MAX_EPOCH": 1, "TEST.ENABLE": False, "TRAIN.EVAL_PERIOD": 0})
    ck = torch.load(checkpoint_path(trained, 1), weights_only=True)
    ck["model_state"]["stray.weight"] = torch.zeros(2)
    bad = str(tmp_path / "bad.pyth")
    torch.save(ck, bad)
    out = str(tmp_path / "test_only")
    with pytest.raises(CheckpointError, match=r"bad\.pyth.*stray\.weight"):
        _run(out, **{"TRAIN.ENABLE": False, "TEST.CHECKPOINT_FILE_PATH": bad})
    assert not os.path.exists(os.path.join(out, "test_results.json"))


def test_unlabelled_test_set_gives_strict_json_with_counts(tmp_path):
    trained = str(tmp_path / "trained")
    _run(trained, **{"SOLVER.MAX_EPOCH": 1, "TEST.ENABLE": False, "TRAIN.EVAL_PERIOD": 0})
    out = str(tmp_path / "unlabelled")
    _run(out, **{"TRAIN.ENABLE": False, "TEST.DATASET": "xc_unlabelled",
                 "TEST.CHECKPOINT_FILE_PATH": checkpoint_path(trained, 1)})

    def no_constants(name):
        raise ValueError(f"non-standard JSON constant {name}")

    res = json.loads(open(os.path.join(out, "test_results.json")).read(), parse_constant=no_constants)
    assert res["top1"] is None and res["top5"] is None
    assert res["num_videos"] == 12 and res["num_labelled_videos"] == 0 and res["num_unlabelled_videos"] == 12
    npz = np.load(os.path.join(out, "test_scores.npz"))
    assert npz["scores"].shape == (12, 3) and (npz["labels"] == -1).all()


def test_to_device_moves_nested_tensors():
    batch = {"inputs": torch.zeros(1), "extra": {"boxes": torch.ones(2)}, "views": [torch.ones(1)], "ids": ["a"]}
    out = to_device(batch, torch.device("meta"))
    assert out["inputs"].is_meta and out["extra"]["boxes"].is_meta and out["views"][0].is_meta
    assert out["ids"] == ["a"]


def test_stats_lines_average_the_log_period(tmp_path):
    from svit.config import get_cfg
    from svit.engine.progress import ProgressReporter

    cfg = get_cfg()
    cfg.OUTPUT_DIR, cfg.LOG_PERIOD, cfg.TENSORBOARD.ENABLE = str(tmp_path), 2, False
    rep = ProgressReporter(cfg, enabled=True)
    rep.start_epoch(0, 3)
    for step, (loss, lr) in enumerate([(1.0, 0.3), (3.0, 0.2), (5.0, 0.1)]):
        rep.step(0, step, 3, step + 1, {"lr": lr, "loss": loss}, 0.01, 0.1, 1.0)
    lines = [json.loads(x) for x in open(tmp_path / "stats.jsonl")]
    assert [(r["iter"], r["loss"], r["lr"]) for r in lines] == [(2, 2.0, 0.2), (3, 5.0, 0.1)]


def test_log_model_info_reports_params_and_gflops(tmp_path, caplog):
    import logging

    from svit.engine.model_info import log_model_info

    cfg = load_config(None, engine_toy.toy_opts(str(tmp_path)))
    model = engine_toy.TinyLinear(cfg)
    log = logging.getLogger("xc_model_info")
    with caplog.at_level(logging.INFO, logger="xc_model_info"):
        stats = log_model_info(cfg, model, log)
    # Linear(3 * 4 -> 3) on the pooled test view: 36 multiply-adds.
    assert stats["gflops"] * 1e9 == pytest.approx(36) and stats["params"] == 39
    assert "GFLOPs per view" in caplog.text

    class Untraceable(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(2))

        def forward(self, x):
            return {"logits": x.flatten(1)[:, :2] * self.w, "meta": object()}

    with caplog.at_level(logging.INFO, logger="xc_model_info"):
        assert log_model_info(cfg, Untraceable(), log) in (None, {"params": 2, "trainable_params": 2,
                                                                    "gflops": pytest.approx(0.0)})
    assert "0.00 M params" in caplog.text


def test_task_extra_stats_reach_the_epoch_summary(tmp_path):
    from svit.engine.tasks.classification import ClassificationTask
    from svit.engine.tasks.registry import TASK_REGISTRY

    if "xc_counting" not in TASK_REGISTRY:
        @TASK_REGISTRY.register("xc_counting")
        class Counting(ClassificationTask):
            def __init__(self, *a):
                super().__init__(*a)
                self.calls = 0

            def training_step(self, model, batch):
                self.calls += 1
                return super().training_step(model, batch)

            def extra_stats(self):
                return {"calls": float(self.calls)}

    out = str(tmp_path / "extra")
    _run(out, **{"TRAIN.TASK": "xc_counting", "TEST.ENABLE": False, "TRAIN.EVAL_PERIOD": 0})
    epochs = [json.loads(x) for x in open(os.path.join(out, "stats.jsonl"))]
    epochs = [r for r in epochs if r["_type"] == "train_epoch"]
    assert [r["task_calls"] for r in epochs] == [3.0, 6.0]  # 24 clips / batch 8 = 3 steps per epoch


@pytest.mark.parametrize("key,value,hint", [
    ("MODEL.MODEL_NAME", "TinyLiner", "TinyLinear"),
    ("TRAIN.TASK", "clasification", "classification"),
    ("TEST.DATASET", "toy_patern", "toy_pattern"),
    ("TRAIN.CHECKPOINT_TYPE", "pytorh", "pytorch"),
])
def test_unregistered_names_are_config_errors_exit_2(tmp_path, capsys, key, value, hint):
    from svit.engine.launch import main

    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text("")
    opts = engine_toy.toy_opts(str(tmp_path / "out"), **{key: value})
    assert main(["--cfg", str(cfg_file), *opts]) == 2
    err = capsys.readouterr().err
    assert f"{key} '{value}'" in err and hint in err and "Traceback" not in err
    assert not (tmp_path / "out" / "checkpoints").exists()
