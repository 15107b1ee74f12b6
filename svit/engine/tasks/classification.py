"""The ``classification`` task: forward the clips, apply MODEL.LOSS_FUNC to the logits."""
from __future__ import annotations

import torch
import torch.nn as nn
from fvcore.common.config import CfgNode

from svit.engine.step import StepOutput
from svit.engine.tasks.base import Task, loss_batch, outputs_dict
from svit.engine.tasks.registry import TASK_REGISTRY
from svit.losses import build_loss


@TASK_REGISTRY.register("classification")
class ClassificationTask(Task):
    """Single-input video classification; every loss term gets weight 1."""

    def __init__(self, cfg: CfgNode, model: nn.Module, device: torch.device) -> None:
        super().__init__(cfg, model, device)

        self.loss = build_loss(cfg.MODEL.LOSS_FUNC, cfg)

    def training_step(self, model: nn.Module, batch: dict) -> StepOutput:
        outputs = outputs_dict(model(batch["inputs"]))
        return StepOutput(dict(self.loss(outputs, loss_batch(batch))), outputs["logits"], batch.get("labels"))
