"""Registry of training tasks: what one optimisation step computes (see svit/engine/tasks/base.py)."""
from svit.utils.registry import Registry

TASK_REGISTRY = Registry("task")
