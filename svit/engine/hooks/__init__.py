"""Batch hooks registered in HOOK_REGISTRY and selected by TRAIN.HOOKS (see hooks/base.py).

Every module of this package is imported here, so a new hook is a new file with
``@HOOK_REGISTRY.register("name")`` on a ``BatchHook`` subclass.
"""
from __future__ import annotations

from fvcore.common.config import CfgNode

from svit.engine.hooks.base import BatchHook, HookOptimizer
from svit.engine.hooks.registry import HOOK_REGISTRY
from svit.utils.autoload import import_submodules

import_submodules(__name__)


def hook_names(cfg: CfgNode) -> list[str]:
    """TRAIN.HOOKS in order, with MIXUP.METHOD in front when MIXUP.ENABLE (the historical switch)."""
    names = [str(n) for n in cfg.TRAIN.HOOKS]
    if cfg.MIXUP.ENABLE and cfg.MIXUP.METHOD not in names:
        names.insert(0, str(cfg.MIXUP.METHOD))
    return names


__all__ = ["HOOK_REGISTRY", "BatchHook", "HookOptimizer", "hook_names"]
