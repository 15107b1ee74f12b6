"""Checkpoint adapters (foreign state dict -> svit names), registered by CHECKPOINT_TYPE name."""
from svit.models.adapters.registry import ADAPTER_REGISTRY
from svit.utils.autoload import import_submodules

import_submodules(__name__)

__all__ = ["ADAPTER_REGISTRY"]
