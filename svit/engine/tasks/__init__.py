"""Training tasks registered by TRAIN.TASK (classification, svit_cotrain, ...)."""
from svit.engine.tasks.base import Task
from svit.engine.tasks.registry import TASK_REGISTRY
from svit.utils.autoload import import_submodules

import_submodules(__name__)


def build_task(cfg, model, device):
    """The task registered as ``cfg.TRAIN.TASK``, built as ``cls(cfg, model, device)``."""
    return TASK_REGISTRY.get(cfg.TRAIN.TASK)(cfg, model, device)


__all__ = ["TASK_REGISTRY", "Task", "build_task"]
