"""Losses registered by name (see registry.py for the calling convention)."""
from svit.losses.registry import LOSS_REGISTRY
from svit.utils.autoload import import_submodules

import_submodules(__name__)


def build_loss(name: str, cfg):
    """Instantiates the loss registered as ``name`` with the config."""
    return LOSS_REGISTRY.get(name)(cfg)


__all__ = ["LOSS_REGISTRY", "build_loss"]
