"""Batch hooks registered in HOOK_REGISTRY and selected by TRAIN.HOOKS (see hooks/base.py).

Every module of this package is imported here, so a new hook is a new file with
``@HOOK_REGISTRY.register("name")`` on a ``BatchHook`` subclass.
"""
from __future__ import annotations

from svit.engine.hooks.base import BatchHook, HookOptimizer
from svit.engine.hooks.registry import HOOK_REGISTRY, hook_names
from svit.utils.autoload import import_submodules

import_submodules(__name__)


__all__ = ["HOOK_REGISTRY", "BatchHook", "HookOptimizer", "hook_names"]
