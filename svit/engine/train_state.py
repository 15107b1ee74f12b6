"""Checkpoint contents of a training run beyond the model: EMA and batch-hook state.

A training checkpoint holds the keys of ``svit.checkpoint.save_checkpoint`` (``model_state``,
``optimizer_state``, ``scaler_state``, ``epoch``, ``cfg``, ``task_state``) plus ``ema_state``
(``ModelEma.state_dict()`` or None), ``task_modules`` (``{"modules": ..., "optimizer": ...}`` of
trainable modules the task owns) and ``hook_state``: ``{hook name: {"modules": {name: state dict},
"optimizer": state dict or None, "state": hook.state_dict()}}``. Everything needed to continue
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
from svit.engine.hooks.base import HookOptimizer
from svit.utils.atomic import atomic_open

logger = logging.getLogger("svit.train_state")


@dataclass
class HookSlot:
    """A built hook (or the task), its modules (on the device) and its own optimiser, if any."""

    name: str
    hook: Any
    modules: dict[str, nn.Module]
    optimizer: HookOptimizer | None

    def parameters(self) -> list[torch.nn.Parameter]:
        return [p for m in self.modules.values() for p in m.parameters()]


def slot_state(slot: HookSlot, with_state: bool = True) -> dict[str, Any]:
    """What a checkpoint keeps of a hook (or of the task's modules): module weights, optimiser state
    and, for hooks, the hook's own state."""
    entry = {
        "modules": {k: m.state_dict() for k, m in slot.modules.items()},
        "optimizer": slot.optimizer.optimizer.state_dict() if slot.optimizer is not None else None,
    }
    if with_state:
        entry["state"] = slot.hook.state_dict()
    return entry


def restore_slot(slot: HookSlot, entry: Mapping[str, Any], path: str, who: str, with_state: bool = True) -> None:
    """Loads ``entry`` (from ``slot_state``) into ``slot``; CheckpointError naming ``path`` and ``who``
    when the stored modules do not fit."""
    saved_modules = entry.get("modules") or {}
    if set(saved_modules) != set(slot.modules):
        raise CheckpointError(
            f"{path}: {who} stored modules {sorted(saved_modules)} but builds {sorted(slot.modules)}."
        )
    for name, module in slot.modules.items():
        try:
            module.load_state_dict(saved_modules[name])
        except RuntimeError as e:
            raise CheckpointError(f"{path}: module '{name}' of {who} does not fit: {e}") from None
    if slot.optimizer is not None and entry.get("optimizer") is not None:
        slot.optimizer.optimizer.load_state_dict(entry["optimizer"])
    if with_state:
        slot.hook.load_state_dict(entry.get("state") or {})


def save_train_checkpoint(
    path: str,
    model: nn.Module,
    epoch: int,
    optimizer: torch.optim.Optimizer,
    scaler: Any,
    cfg_yaml: str,
    task: HookSlot,
    ema: ModelEma | None,
    hooks: list[HookSlot],
) -> str:
    """Writes the resumable checkpoint of a training run to ``path`` (rank 0 only); ``task`` is the
    task's slot (its ``state_dict()`` goes to ``task_state``, its modules to ``task_modules``)."""
    state = {
        "model_state": unwrap(model).state_dict(),
        "optimizer_state": optimizer.state_dict(),
        "scaler_state": scaler.state_dict() if scaler is not None else None,
        "epoch": int(epoch),
        "cfg": cfg_yaml,
        "task_state": dict(task.hook.state_dict() or {}),
        "task_modules": slot_state(task, with_state=False),
        "ema_state": ema.state_dict() if ema is not None else None,
        "hook_state": {s.name: slot_state(s) for s in hooks},
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
        restore_slot(slot, entry, path, f"hook '{slot.name}'")
    for name in stored:
        logger.warning("%s holds state of hook '%s', which is not configured now: ignored", path, name)
