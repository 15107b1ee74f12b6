"""Batch hooks compose with any task: SViT co-training + mixup + a hook that reads the EMA teacher and
trains a module of its own, in one config, through the one engine."""
from __future__ import annotations

import json
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from svit.checkpoint import read_checkpoint
from svit.config import load_config
from svit.engine.hooks import HOOK_REGISTRY, BatchHook, HookOptimizer
from svit.engine.run import run_phases
from svit.engine.tasks.base import logits_of
from svit.run_folder import checkpoint_path

REPO = Path(__file__).resolve().parents[2]
SVIT_TINY = str(REPO / "configs" / "synthetic" / "svit_tiny.yaml")


class TeacherTemperature(BatchHook):
    """Distils the EMA teacher's logits at a learned temperature (its own module and optimiser)."""

    def __init__(self, cfg, ctx) -> None:
        super().__init__(cfg, ctx)
        if ctx.ema is None:
            raise ValueError("xc_teacher_temperature needs MODEL_EMA.ENABLE")
        self.temp = nn.Module()
        self.temp.log_t = nn.Parameter(torch.zeros(()))
        self.calls = 0

    def modules(self):
        return {"temp": self.temp}

    def build_optimizer(self):
        return HookOptimizer(torch.optim.SGD(self.temp.parameters(), lr=0.0), lambda epoch: 0.5)

    def before_step(self, batch, ctx):
        with torch.no_grad():
            teacher = F.softmax(logits_of(ctx.ema.module(batch["inputs"])).float(), dim=-1)
        t = self.temp.log_t.exp()
        student = torch.randn(teacher.shape, generator=torch.Generator().manual_seed(self.calls))
        loss = -(teacher * F.log_softmax(student / t, dim=-1)).sum(-1).mean()
        return batch, {"distill": 0.1 * loss}

    def after_step(self, ctx) -> None:
        self.calls += 1

    def state_dict(self):
        return {"calls": self.calls}


if "xc_teacher_temperature" not in HOOK_REGISTRY:
    HOOK_REGISTRY.register("xc_teacher_temperature")(TeacherTemperature)


def test_svit_cotrain_with_mixup_and_a_teacher_hook(synthetic_root: str, tmp_path: Path) -> None:
    out = tmp_path / "compose"
    cfg = load_config(SVIT_TINY, [
        "SYNTHETIC.ROOT", synthetic_root, "OUTPUT_DIR", str(out), "TRAIN.BATCH_SIZE", "8",
        "IMAGE_TRAIN.BATCH_SIZE", "8", "DATA_LOADER.NUM_WORKERS", "0", "TENSORBOARD.ENABLE", "False",
        "TRAIN.AUTO_RESUME", "False", "SOLVER.MAX_EPOCH", "1", "TRAIN.MAX_STEPS_PER_EPOCH", "2",
        "TRAIN.EVAL_PERIOD", "0", "TEST.ENABLE", "False", "LOG_PERIOD", "1",
        "MIXUP.ENABLE", "True", "TRAIN.HOOKS", "['xc_teacher_temperature']",
        "MODEL_EMA.ENABLE", "True", "MODEL_EMA.DECAY", "0.9",
    ])
    assert cfg.TRAIN.TASK == "svit_cotrain" and cfg.IMAGE_TRAIN.ENABLE
    run_phases(cfg, torch.device("cpu"))
    stats = [json.loads(x) for x in (out / "stats.jsonl").read_text().splitlines()]
    iters = [s for s in stats if s["_type"] == "train_iter"]
    assert len(iters) == 2
    for s in iters:
        # the co-training terms (video + image) and the hook's term, all in one step, summed
        assert {"loss_cls", "loss_distill", "boxes_l1_loss", "loss_contact_state"} <= set(s)
        assert 0.0 <= s["top1"] <= 100.0  # train accuracy against the hard labels despite mixup
    ck = read_checkpoint(checkpoint_path(str(out), 1))
    assert list(ck["hook_state"]) == ["mixup_cutmix", "xc_teacher_temperature"]
    hook = ck["hook_state"]["xc_teacher_temperature"]
    assert hook["state"] == {"calls": 2}
    assert float(hook["modules"]["temp"]["log_t"]) != 0.0  # trained by its own optimiser
    assert ck["ema_state"]["num_calls"] == 2
