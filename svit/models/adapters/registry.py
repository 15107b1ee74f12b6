"""Registry of checkpoint adapters: ``@ADAPTER_REGISTRY.register("name")`` on
``fn(state_dict: dict) -> dict`` mapping a foreign state dict to svit's parameter names.

``TRAIN.CHECKPOINT_TYPE`` / ``TEST.CHECKPOINT_TYPE`` pick the adapter; "pytorch" and "auto" need none.
"""
from svit.utils.registry import Registry

ADAPTER_REGISTRY = Registry("checkpoint adapter")
