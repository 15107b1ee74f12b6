"""Checkpoint contents of a training run beyond the model: EMA and batch-hook state.

A training checkpoint holds the keys of ``svit.checkpoint.save_checkpoint`` (``model_state``,
``optimizer_state``, ``scaler_state``, ``epoch``, ``cfg``, ``task_state``) plus ``ema_state``
(``ModelEma.state_dict()`` or None) and ``hook_state``: ``{hook name: {"modules": {name: state
dict}, "optimizer": state dict or None, "state": hook.state_dict()}}``. Everything needed to continue
bit-identically is in one file, written atomically.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Mapping

import torch
import torch.nn as nn

from svit.checkpoint import CheckpointError, unwrap
from svit.engine.ema import ModelEma
from svit.engine.hooks.base import BatchHook, HookOptimizer
from svit.utils.atomic import atomic_open

logger = logging.getLogger("svit.train_state")


@dataclass
class HookSlot:
    """A built hook, its modules (on the device) and its own optimiser, if any."""

    name: str
    hook: BatchHook
    modules: dict[str, nn.Module]
    optimizer: HookOptimizer | None

    def parameters(self) -> list[torch.nn.Parameter]:
        return [p for m in self.modules.values() for p in m.parameters()]


def save_train_checkpoint(
    path: str,
    model: nn.Module,
    epoch: int,
    optimizer: torch.optim.Optimizer,
    scaler: Any,
    cfg_yaml: str,
    task_state: Mapping[str, Any] | None,
    ema: ModelEma | None,
    hooks: list[HookSlot],
) -> str:
    """Writes the resumable checkpoint of a training run to ``path`` (rank 0 only)."""
    state = {
        "model_state": unwrap(model).state_dict(),
        "optimizer_state": optimizer.state_dict(),
        "scaler_state": scaler.state_dict() if scaler is not None else None,
        "epoch": int(epoch),
        "cfg": cfg_yaml,
        "task_state": dict(task_state) if task_state else {},
        "ema_state": ema.state_dict() if ema is not None else None,
        "hook_state": {
            s.name: {
                "modules": {k: m.state_dict() for k, m in s.modules.items()},
                "optimizer": s.optimizer.optimizer.state_dict() if s.optimizer is not None else None,
                "state": s.hook.state_dict(),
            }
            for s in hooks
        },
    }
    with atomic_open(path, "wb") as f:
        torch.save(state, f)
    return path


def restore_hooks(hooks: list[HookSlot], stored: Mapping[str, Any] | None, path: str) -> None:
    """Restores every hook's modules, optimiser and state from a checkpoint's ``hook_state``.

    A hook configured now but absent from the file starts fresh (logged); a module whose stored
    weights do not fit raises CheckpointError naming the file, hook and module.
    """
    stored = dict(stored or {})
    for slot in hooks:
        entry = stored.pop(slot.name, None)
        if entry is None:
            logger.warning("%s holds no state of hook '%s': it starts fresh", path, slot.name)
            continue
        saved_modules = entry.get("modules") or {}
        if set(saved_modules) != set(slot.modules):
            raise CheckpointError(
                f"{path}: hook '{slot.name}' stored modules {sorted(saved_modules)} but builds {sorted(slot.modules)}."
            )
        for name, module in slot.modules.items():
            try:
                module.load_state_dict(saved_modules[name])
            except RuntimeError as e:
                raise CheckpointError(f"{path}: module '{name}' of hook '{slot.name}' does not fit: {e}") from None
        if slot.optimizer is not None and entry.get("optimizer") is not None:
            slot.optimizer.optimizer.load_state_dict(entry["optimizer"])
        slot.hook.load_state_dict(entry.get("state") or {})
    for name in stored:
        logger.warning("%s holds state of hook '%s', which is not configured now: ignored", path, name)
