"""End-to-end CPU runs of the engine on the toy dataset/models (seconds each)."""
from __future__ import annotations

import json
import os

import engine_toy  # noqa: F401  (registers toy parts)
import numpy as np
import pytest
import torch

from svit.checkpoint import read_checkpoint
from svit.config import load_config
from svit.engine.errors import DataQualityError, NonFiniteLossError
from svit.engine.launch import launch_job
from svit.engine.trainer import Trainer
from svit.run_folder import checkpoint_path, last_checkpoint


def run(tmp_path, name="out", **overrides):
    out = str(tmp_path / name)
    cfg = load_config(None, engine_toy.toy_opts(out, **overrides))
    launch_job(cfg, func=engine_toy.run_toy)
    return out, cfg


def weights(path):
    return read_checkpoint(path)["model_state"]


def test_train_then_test_writes_every_output(tmp_path):
    out, cfg = run(tmp_path, **{"TENSORBOARD.ENABLE": True})
    for f in ("config.yaml", "stats.jsonl", "test_results.json", "test_scores.npz",
              "per_class_accuracy.csv", "confusion_matrix.csv", "confusion_matrix.png"):
        assert os.path.isfile(os.path.join(out, f)), f
    assert any(n.startswith("events.out.tfevents") for n in os.listdir(os.path.join(out, "tb")))
    assert last_checkpoint(out) == checkpoint_path(out, 2)
    ck = read_checkpoint(checkpoint_path(out, 2))
    assert set(ck) >= {"model_state", "optimizer_state", "scaler_state", "epoch", "cfg"}
    assert ck["epoch"] == 2 and "TinyLinear" in ck["cfg"]
    res = json.load(open(os.path.join(out, "test_results.json")))
    assert res["num_videos"] == 12 and res["num_views"] == 24
    assert res["protocol"]["ensemble_method"] == "mean" and res["protocol"]["num_ensemble_views"] == 2
    # one split name: protocol.split (TEST.SPLIT); the dataset's phase is split_info.phase
    assert res["protocol"]["split"] == "val" and res["split_info"]["phase"] == "test"
    assert "split" not in res["split_info"]
    assert res["checkpoint"].endswith("checkpoint_epoch_00002.pyth")
    assert res["top1"] > 80  # the pattern is trivially learnable
    npz = np.load(os.path.join(out, "test_scores.npz"))
    assert npz["scores"].shape == (12, 3) and list(npz["video_ids"][:2]) == ["test_000", "test_001"]
    np.testing.assert_allclose(npz["scores"].sum(1), 1.0, rtol=1e-5)
    csv = open(os.path.join(out, "per_class_accuracy.csv")).read()
    assert "rising" in csv and "falling" in csv
    stats = [json.loads(line) for line in open(os.path.join(out, "stats.jsonl"))]
    iters = [s for s in stats if s["_type"] == "train_iter"]
    assert len(iters) == 6
    assert {"lr", "loss", "loss_cls", "top1", "top5", "data_time", "step_time", "eta"} <= set(iters[0])
    assert [s["epoch"] for s in stats if s["_type"] == "val_epoch"] == [1, 2]
    # lr: warm-up from 0.05 at the first step of epoch 0 (global fractional epoch 0)
    assert iters[0]["lr"] == pytest.approx(0.05)


@pytest.mark.parametrize("extra", [
    {},
    # model EMA + a hook owning a trainable module with its own optimiser + mixup (a second hook)
    # and a task owning an auxiliary head
    {"MODEL_EMA.ENABLE": True, "MODEL_EMA.DECAY": 0.9, "TRAIN.HOOKS": "['toy_gate']", "MIXUP.ENABLE": True,
     "TRAIN.TASK": "toy_aux"},
], ids=["plain", "ema_hook"])
def test_resume_gives_identical_weights(tmp_path, extra):
    common = {"TRAIN.EVAL_PERIOD": 0, "TEST.ENABLE": False, **extra}
    straight, _ = run(tmp_path, "straight", **common)
    half, _ = run(tmp_path, "resumed", **common, **{"SOLVER.MAX_EPOCH": 2, "TRAIN.MAX_STEPS_PER_EPOCH": 0})
    # simulate a kill after epoch 1: drop the epoch-2 checkpoint, leave a half-written temp file
    os.remove(checkpoint_path(half, 2))
    with open(os.path.join(half, "checkpoints", ".checkpoint_epoch_00002.pyth.x.tmp"), "wb") as f:
        f.write(b"PK\x03\x04 truncated")
    run(tmp_path, "resumed", **common)
    ca, cb = read_checkpoint(checkpoint_path(straight, 2)), read_checkpoint(checkpoint_path(half, 2))
    a, b = ca["model_state"], cb["model_state"]
    for k in a:
        assert torch.equal(a[k], b[k]), k
    if extra:
        ema_a, ema_b = ca["ema_state"]["module"], cb["ema_state"]["module"]
        assert ca["ema_state"]["num_calls"] == cb["ema_state"]["num_calls"] == 6
        assert any(not torch.equal(ema_a[k], a[k]) for k in a)  # the EMA really lags the online model
        for k in ema_a:
            assert torch.equal(ema_a[k], ema_b[k]), k
        ha, hb = ca["hook_state"]["toy_gate"], cb["hook_state"]["toy_gate"]
        assert ha["state"] == hb["state"] == {"after_calls": 6}
        assert torch.equal(ha["modules"]["gain"]["weight"], hb["modules"]["gain"]["weight"])
        mom_a, mom_b = (h["optimizer"]["state"][0]["momentum_buffer"] for h in (ha, hb))
        assert torch.equal(mom_a, mom_b)
        first = read_checkpoint(checkpoint_path(half, 1))["hook_state"]["toy_gate"]["modules"]["gain"]["weight"]
        assert not torch.equal(first, hb["modules"]["gain"]["weight"])  # the hook's module is trained
        assert set(ca["hook_state"]) == {"mixup_cutmix", "toy_gate"}
        aux_a, aux_b = ca["task_modules"]["modules"]["aux"], cb["task_modules"]["modules"]["aux"]
        assert all(torch.equal(aux_a[k], aux_b[k]) for k in aux_a)
        aux_1 = read_checkpoint(checkpoint_path(half, 1))["task_modules"]["modules"]["aux"]
        assert not torch.equal(aux_1["weight"], aux_b["weight"])  # the task's module is trained too


def test_non_finite_loss_stops_with_step_and_epoch(tmp_path):
    with pytest.raises(NonFiniteLossError, match=r"epoch 2, step 1"):
        run(tmp_path, **{"MODEL.MODEL_NAME": "TinyNaN", "TEST.ENABLE": False, "TRAIN.MAX_STEPS_PER_EPOCH": 2,
                         "TRAIN.EVAL_PERIOD": 0})
    out = str(tmp_path / "out")
    assert last_checkpoint(out) == checkpoint_path(out, 1)
    w = weights(checkpoint_path(out, 1))  # intact and finite
    assert all(torch.isfinite(v).all() for v in w.values())


def test_too_many_bad_samples_fail_with_summary(tmp_path):
    with pytest.raises(DataQualityError, match="MAX_BAD_FRACTION"):
        run(tmp_path, **{"TRAIN.DATASET": "toy_pattern_bad", "TEST.ENABLE": False})
    run(tmp_path, "ok", **{"TRAIN.DATASET": "toy_pattern_bad", "TEST.ENABLE": False,
                           "DATA.MAX_BAD_FRACTION": 0.5, "SOLVER.MAX_EPOCH": 1})


def test_num_classes_come_from_dataset(tmp_path):
    out, cfg = run(tmp_path, **{"MODEL.NUM_CLASSES": 174, "SOLVER.MAX_EPOCH": 1, "TEST.ENABLE": False})
    assert cfg.MODEL.NUM_CLASSES == 3
    assert "NUM_CLASSES: 3" in open(os.path.join(out, "config.yaml")).read()
    assert weights(checkpoint_path(out, 1))["head.weight"].shape[0] == 3


def test_test_only_run_from_checkpoint(tmp_path):
    out, _ = run(tmp_path, **{"SOLVER.MAX_EPOCH": 1, "TEST.ENABLE": False})
    ck = checkpoint_path(out, 1)
    out2, _ = run(tmp_path, "test_only", **{"TRAIN.ENABLE": False, "TEST.CHECKPOINT_FILE_PATH": ck,
                                            "TEST.ENSEMBLE_METHOD": "max"})
    res = json.load(open(os.path.join(out2, "test_results.json")))
    assert res["checkpoint"] == ck and res["protocol"]["ensemble_method"] == "max"
    assert not os.path.exists(os.path.join(out2, "checkpoints"))


def test_grad_accumulation_matches_full_batch(tmp_path):
    common = {"TEST.ENABLE": False, "TRAIN.EVAL_PERIOD": 0, "SOLVER.MAX_EPOCH": 1}
    a, _ = run(tmp_path, "full", **common)
    b, _ = run(tmp_path, "accum", **common, **{"TRAIN.GRAD_ACCUM_STEPS": 2})
    wa, wb = weights(checkpoint_path(a, 1)), weights(checkpoint_path(b, 1))
    for k in wa:
        torch.testing.assert_close(wa[k], wb[k], rtol=1e-5, atol=1e-6)


def test_mixup_adamw_clipping_bf16_run(tmp_path):
    out, _ = run(tmp_path, **{"MIXUP.ENABLE": True, "MODEL.LOSS_FUNC": "soft_cross_entropy",
                              "SOLVER.OPTIMIZING_METHOD": "adamw", "SOLVER.BASE_LR": 0.01,
                              "SOLVER.CLIP_GRAD_L2NORM": 1.0, "SOLVER.CLIP_GRAD_VAL": 0.5,
                              "TRAIN.MIXED_PRECISION": True, "TRAIN.MIXED_PRECISION_DTYPE": "bfloat16",
                              "SOLVER.MAX_EPOCH": 1, "SOLVER.LR_POLICY": "constant", "SOLVER.WARMUP_EPOCHS": 0.0})
    stats = [json.loads(line) for line in open(os.path.join(out, "stats.jsonl"))]
    lrs = {s["lr"] for s in stats if s["_type"] == "train_iter"}
    assert lrs == {0.01}
    assert np.isfinite([s["loss"] for s in stats if s["_type"] == "train_iter"]).all()


def test_precise_bn_recomputes_running_stats(tmp_path):
    opts = engine_toy.toy_opts(str(tmp_path / "bn"), **{"MODEL.MODEL_NAME": "TinyBN", "SOLVER.MAX_EPOCH": 1,
                                                         "TEST.ENABLE": False, "TRAIN.EVAL_PERIOD": 0,
                                                         "BN.USE_PRECISE_STATS": True,
                                                         "BN.NUM_BATCHES_PRECISE": 3})
    cfg = load_config(None, opts)
    tr = Trainer(cfg, torch.device("cpu"))
    tr.train()
    # precise stats = the exact mean of conv outputs over the 3 batches (momentum-free average)
    net = tr.net
    feats = []
    with torch.no_grad():
        for i, batch in enumerate(tr.loader):
            if i == 3:
                break
            feats.append(net.conv(batch["inputs"]).transpose(0, 1).flatten(1))
    expect = torch.stack([f.mean(1) for f in feats]).mean(0)
    torch.testing.assert_close(net.bn.running_mean, expect, rtol=1e-4, atol=1e-5)
