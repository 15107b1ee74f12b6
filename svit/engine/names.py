"""Checks, before anything is built, that every registry name the config uses exists.

A typo such as ``MODEL.MODEL_NAME MVit`` would otherwise surface as a KeyError traceback from deep
inside model building, possibly minutes into a run after the dataset was indexed; here it becomes a
ConfigError naming the key, the value and the closest registered names (the launcher prints it and
exits with code 2).
"""
from __future__ import annotations

import difflib

from fvcore.common.config import CfgNode

import svit.data  # noqa: F401  (each import fills its registry)
import svit.engine.hooks  # noqa: F401
import svit.engine.tasks  # noqa: F401
import svit.losses  # noqa: F401
import svit.models  # noqa: F401
from svit.config.errors import ConfigError
from svit.data.registry import DATASET_REGISTRY
from svit.engine.hooks import HOOK_REGISTRY, hook_names
from svit.engine.tasks.registry import TASK_REGISTRY
from svit.losses.registry import LOSS_REGISTRY
from svit.models.adapters import ADAPTER_REGISTRY
from svit.models.registry import MODEL_REGISTRY

# Checkpoint formats that need no adapter.
PLAIN_CHECKPOINT_TYPES = ("pytorch", "auto", "")


def _check(key: str, value: str, known: list[str]) -> None:
    if value in known:
        return
    close = difflib.get_close_matches(value, known, n=3, cutoff=0.4)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    raise ConfigError(f"{key} '{value}' is not registered. Known: {known}.{hint}")


def check_registered_names(cfg: CfgNode) -> None:
    """ConfigError for the first configured name missing from its registry."""
    _check("MODEL.MODEL_NAME", cfg.MODEL.MODEL_NAME, MODEL_REGISTRY.names())
    _check("TRAIN.TASK", cfg.TRAIN.TASK, TASK_REGISTRY.names())
    _check("MODEL.LOSS_FUNC", cfg.MODEL.LOSS_FUNC, LOSS_REGISTRY.names())
    if cfg.TRAIN.ENABLE:
        _check("TRAIN.DATASET", cfg.TRAIN.DATASET, DATASET_REGISTRY.names())
        if cfg.MIXUP.ENABLE:
            _check("MIXUP.METHOD", cfg.MIXUP.METHOD, HOOK_REGISTRY.names())
        for name in cfg.TRAIN.HOOKS:
            _check("TRAIN.HOOKS", name, HOOK_REGISTRY.names())
        names = hook_names(cfg)
        if len(set(names)) != len(names):
            raise ConfigError(f"TRAIN.HOOKS lists a hook twice: {names} (MIXUP.ENABLE adds MIXUP.METHOD).")
        if cfg.IMAGE_TRAIN.ENABLE:
            for name in cfg.IMAGE_TRAIN.DATASETS:
                _check("IMAGE_TRAIN.DATASETS", name, DATASET_REGISTRY.names())
    if cfg.TEST.ENABLE:
        _check("TEST.DATASET", cfg.TEST.DATASET, DATASET_REGISTRY.names())
    adapters = list(PLAIN_CHECKPOINT_TYPES) + ADAPTER_REGISTRY.names()
    _check("TRAIN.CHECKPOINT_TYPE", cfg.TRAIN.CHECKPOINT_TYPE, adapters)
    _check("TEST.CHECKPOINT_TYPE", cfg.TEST.CHECKPOINT_TYPE, adapters)
