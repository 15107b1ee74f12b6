"""Checkpoint adapters (foreign state dict -> svit names), registered by CHECKPOINT_TYPE name.

Here: the registry and what several families share (shape checks, unwrapping, ImageNet, SV-Mix).
A family's own formats sit in its folder as ``svit/models/<family>/adapter_<format>.py``; they
register when ``svit.models`` imports every family (importing this package imports it first).
"""
from svit.models.adapters.registry import ADAPTER_REGISTRY
from svit.utils.autoload import import_submodules

import_submodules(__name__)

__all__ = ["ADAPTER_REGISTRY"]
