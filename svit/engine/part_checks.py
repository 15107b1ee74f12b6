"""What the selected batch hooks and the task need from the config, checked before anything is built.

A hook or a task that cannot run with some setting (SV-Mix with one clip per process batch, SViT
co-training without image datasets, ...) declares it in its ``check_config(cfg)`` classmethod,
raising ConfigError naming the keys and their values (with the helpers of
``svit.engine.part_requirements``). ``check_part_configs`` calls it for the task and every hook of the
run: from the launcher before any process starts (one line, exit code 2) and from the experiment
construction, so a run never fails on it at step 1 after writing files.
"""
from __future__ import annotations

from fvcore.common.config import CfgNode

from svit.engine.hooks import HOOK_REGISTRY, hook_names
from svit.engine.names import check_registered_names
from svit.engine.tasks import TASK_REGISTRY


def check_part_configs(cfg: CfgNode) -> None:
    """Calls ``check_config(cfg)`` of TRAIN.TASK and of every hook of the run (training only); the
    names are expected to be registered (svit/engine/names.py checks that first)."""
    if not cfg.TRAIN.ENABLE:
        return
    check_registered_names(cfg)
    parts = [TASK_REGISTRY.get(cfg.TRAIN.TASK), *(HOOK_REGISTRY.get(name) for name in hook_names(cfg))]
    for part in parts:
        check = getattr(part, "check_config", None)  # a part registered as a plain function has none
        if callable(check):
            check(cfg)
