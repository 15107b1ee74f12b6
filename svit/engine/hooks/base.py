"""The batch-hook interface: code that runs around every training step with the model in hand.

A hook (mixup/cutmix, SV-Mix, ...) composes with any task: the trainer passes each micro-batch
through the hooks of TRAIN.HOOKS in order before the task sees it, adds the hooks' own loss terms
to the task's, and calls every hook after each optimiser step. A hook may own trainable modules and
either an optimiser of its own (stepped with the run's GradScaler, lr set every step from its
``lr_at``) or parameter groups that join the main optimiser; the engine moves the modules to the
device, averages their gradients over processes and saves/restores all of it in checkpoints
(``hook_state``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch
import torch.nn as nn
from fvcore.common.config import CfgNode


@dataclass
class HookOptimizer:
    """A hook's own optimiser and its learning rate as a function of the fractional epoch.

    Param groups may carry ``lr_scale`` (multiplies ``lr_at``), like the main optimiser's groups.
    """

    optimizer: torch.optim.Optimizer
    lr_at: Callable[[float], float]


class BatchHook:
    """Base class of registered hooks, built as ``cls(cfg, ctx)`` (ctx: svit.engine.context.StepContext).

    Construction happens after the model (and the EMA, when MODEL_EMA.ENABLE) exists and before
    the main optimiser is built; build modules here, on the CPU (the engine moves them).
    """

    def __init__(self, cfg: CfgNode, ctx: Any) -> None:
        self.cfg = cfg
        self.ctx = ctx

    @classmethod
    def check_config(cls, cfg: CfgNode) -> None:
        """Raises ConfigError (naming the keys and values) for settings this hook cannot run with.

        Called for every selected hook before anything is built or written (svit/engine/part_checks.py),
        so a combination that would fail at step 1 is a config error at load time instead."""

    def modules(self) -> dict[str, nn.Module]:
        """Trainable modules the hook owns, by a stable name (checkpoint keys use it)."""
        return {}

    def build_optimizer(self) -> HookOptimizer | None:
        """The hook's own optimiser over its modules' parameters (called once, after they moved)."""
        return None

    def param_groups(self) -> list[dict]:
        """Alternatively: param groups (``{"params": [...], "weight_decay": w, "lr_scale": s}``) that
        join the main optimiser and follow the main lr policy."""
        return []

    def before_step(self, batch: dict, ctx: Any) -> tuple[dict, dict[str, torch.Tensor]]:
        """Per micro-batch, inside autocast and the backward scope, before the task. Returns the
        (possibly mixed) batch and extra WEIGHTED loss terms added to the task's before backward.
        Keep ``batch["labels"]`` hard (B,); soft targets go to ``batch["targets"]`` (B, K)."""
        return batch, {}

    def after_step(self, ctx: Any) -> None:
        """After every optimiser step (and after the engine's EMA update)."""

    def on_epoch_start(self, epoch: int) -> None:
        """Before each training epoch (0-based), after the trainer reseeded the RNGs."""

    def state_dict(self) -> dict[str, Any]:
        """Non-module state for checkpoints (modules and the optimiser are saved by the engine)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restores what ``state_dict`` returned when a run resumes."""
