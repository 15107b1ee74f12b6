"""Registry of batch hooks (TRAIN.HOOKS): see svit/engine/hooks/base.py for the interface."""
from svit.utils.registry import Registry

HOOK_REGISTRY = Registry("batch hook")
