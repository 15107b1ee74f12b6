"""The task interface: what one training step computes from a batch.

The trainer owns the loop (optimiser, AMP, accumulation, logging, checkpoints); a task only turns a
batch into a ``StepOutput`` (weighted loss terms, logits, hard labels) and eval logits, so a new
training recipe (e.g. SViT co-training with an image loader) is a new task, not a new loop. Batch
hooks (svit/engine/hooks) run before the task and may put soft ``targets`` in the batch; tasks
compute the classification loss on them when present (``loss_batch``), else on ``labels``.
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn as nn
from fvcore.common.config import CfgNode

from svit.engine.step import StepOutput


def logits_of(outputs: Any) -> torch.Tensor:
    """Models return a logits tensor or a dict holding ``"logits"``."""
    if isinstance(outputs, torch.Tensor):
        return outputs
    if isinstance(outputs, dict) and "logits" in outputs:
        return outputs["logits"]
    raise TypeError(f"model output must be a tensor or a dict with 'logits', got {type(outputs).__name__}")


def outputs_dict(outputs: Any) -> dict[str, Any]:
    """The model output as a dict with at least ``"logits"``."""
    if isinstance(outputs, dict):
        logits_of(outputs)
        return outputs
    return {"logits": logits_of(outputs)}


def loss_batch(batch: dict) -> dict:
    """The batch a classification loss should see: soft ``targets`` (B, K) in place of the hard
    ``labels`` when a hook wrote them, else the batch itself."""
    targets = batch.get("targets")
    if targets is None:
        return batch
    return {**batch, "labels": targets}


class Task:
    """Base class of registered tasks, built as ``cls(cfg, model, device)``."""

    def __init__(self, cfg: CfgNode, model: nn.Module, device: torch.device) -> None:
        self.cfg = cfg
        self.device = device

    @classmethod
    def check_config(cls, cfg: CfgNode) -> None:
        """Raises ConfigError (naming the keys and values) for settings this task cannot train with;
        called before anything is built or written (svit/engine/part_checks.py)."""

    def training_step(self, model: nn.Module, batch: dict) -> StepOutput:
        """Weighted scalar loss terms (the trainer backpropagates their sum and logs each), the
        logits and the hard labels (B,) for train accuracy (``batch["labels"]``)."""
        raise NotImplementedError

    def modules(self) -> dict[str, nn.Module]:
        """Trainable modules the task owns besides the model (moved to the device, trained, saved
        under ``task_modules`` and restored on resume by the engine)."""
        return {}

    def build_optimizer(self) -> Any:
        """Its own ``HookOptimizer`` for those modules, or None: then their parameters join the main
        optimiser (as ``param_groups()`` or, when that is empty, one default group)."""
        return None

    def param_groups(self) -> list[dict]:
        """Param groups of the task's modules for the main optimiser (see BatchHook.param_groups)."""
        return []

    def eval_logits(self, model: nn.Module, batch: dict) -> torch.Tensor:
        """Class logits ``(B, K)`` of ``batch["inputs"]`` for validation and test."""
        return logits_of(model(batch["inputs"]))

    def on_epoch_start(self, epoch: int) -> None:
        """Called before each training epoch (0-based), after the trainer reseeded the RNGs."""

    def loaders(self) -> dict[str, Any]:
        """Extra loaders the task owns; the trainer calls ``sampler.set_epoch`` on each per epoch."""
        return {}

    def state_dict(self) -> dict[str, Any]:
        """Extra state stored in checkpoints under ``task_state`` (plain tensors/numbers/strings)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restores what ``state_dict`` returned when a run resumes."""

    def extra_stats(self) -> dict[str, float]:
        """Numbers the task measured this epoch (e.g. image-set passes); merged into the epoch
        summary (log line, stats.jsonl, TensorBoard) after each training epoch."""
        return {}
