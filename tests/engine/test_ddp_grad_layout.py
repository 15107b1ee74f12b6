"""CPU DDP prints no "Grad strides do not match bucket view strides" warning (issue 19 newcomer item).

MViT's attention pooling fed its depthwise pooling convs a permuted, channels-last token grid; oneDNN
then returned their weight gradients channels-last ((27, 1, 9, 3, 1) for a (32, 1, 3, 3, 3) kernel),
which DDP's buckets (laid out like the parameters) reported every step."""
from __future__ import annotations

from pathlib import Path

import engine_toy
import torch

from svit.config import load_config
from svit.engine.experiment import build_model_seeded
from svit.engine.launch import launch_job
from svit.models.mvit.pooling import attention_pool

REPO = Path(__file__).resolve().parents[2]
MVIT_TINY = str(REPO / "configs" / "synthetic" / "mvit_tiny.yaml")
SMALL = {"MODEL.MODEL_NAME": "MViT", "DATA.NUM_FRAMES": 4, "DATA.TRAIN_CROP_SIZE": 32, "DATA.TEST_CROP_SIZE": 32,
         "TRAIN.TASK": "classification", "IMAGE_TRAIN.ENABLE": False, "TRAIN.FORWARD_VIDEO_FRAMES": False,
         "TEST.ENABLE": False, "TRAIN.EVAL_PERIOD": 0, "SOLVER.MAX_EPOCH": 1, "TRAIN.MAX_STEPS_PER_EPOCH": 2,
         "TRAIN.BATCH_SIZE": 4, "SYNTHETIC.NUM_VIDEOS": 8, "NUM_GPUS": 0}


def test_mvit_pooling_gradients_have_the_parameters_layout():
    cfg = load_config(MVIT_TINY, engine_toy.toy_opts("/nonexistent", **SMALL))
    net = build_model_seeded(cfg, torch.device("cpu"))
    out = net(torch.randn(2, 3, 4, 32, 32))
    (out["logits"] if isinstance(out, dict) else out).sum().backward()
    pooled = [(n, p) for n, p in net.named_parameters() if ".pool_" in n and p.dim() == 5]
    assert pooled  # the stride-(1, 2, 2) key/value pooling convs of the tiny MViT
    for name, p in pooled:
        assert p.grad.stride() == p.stride(), (name, p.grad.stride(), p.stride())


def test_attention_pool_hands_the_conv_a_contiguous_grid():
    seen = []

    def pool(grid):
        seen.append(grid.is_contiguous())
        return grid

    tokens = torch.randn(2, 2, 1 + 2 * 4 * 4, 8)
    attention_pool(tokens, pool, [2, 4, 4], has_cls=True)
    assert seen == [True]


def test_cpu_ddp_run_prints_no_grad_strides_warning(tmp_path, capfd):
    cfg = load_config(MVIT_TINY, engine_toy.toy_opts(str(tmp_path / "run"), **{**SMALL, "NUM_CPU_PROCS": 2}))
    launch_job(cfg, init_method=f"file://{tmp_path}/rdzv", func=engine_toy.run_toy)
    err = capfd.readouterr().err
    assert (tmp_path / "run" / "checkpoints" / "checkpoint_epoch_00001.pyth").is_file()
    assert "Grad strides do not match" not in err
