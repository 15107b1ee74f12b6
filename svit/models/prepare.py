"""Model-side steps around building that may read files (builders themselves never do).

A registered builder may carry ``resolve_config(cfg)`` (fills derived model keys before the config is
frozen, e.g. Side4Video's ``TOWER: auto`` read off the weights file) and ``init_checkpoints(cfg) ->
[(path, checkpoint_type)]`` (weights a fresh training run starts from, loaded through the adapters
before ``TRAIN.CHECKPOINT_FILE_PATH`` and never on resume). These two functions find and call them.
"""
from __future__ import annotations

import torch.nn as nn
from fvcore.common.config import CfgNode

from svit.checkpoint import LoadReport, load_checkpoint
from svit.models.registry import MODEL_REGISTRY


def resolve_model_config(cfg: CfgNode) -> None:
    """Calls the configured builder's ``resolve_config(cfg)`` when it has one (cfg must be unfrozen)."""
    fn = getattr(MODEL_REGISTRY.get(cfg.MODEL.MODEL_NAME), "resolve_config", None)
    if callable(fn):
        fn(cfg)


def load_init_checkpoints(cfg: CfgNode, model: nn.Module) -> list[LoadReport]:
    """Loads the builder's ``init_checkpoints(cfg)`` into ``model`` in order; returns their reports.

    Each must set ``TRAIN.CHECKPOINT_MIN_LOADED`` of the model outside its head (a CLIP tower or an
    ImageNet backbone is most of it), so a file of another model is an error, not a random init."""
    fn = getattr(MODEL_REGISTRY.get(cfg.MODEL.MODEL_NAME), "init_checkpoints", None)
    sources = fn(cfg) if callable(fn) else []
    return [
        load_checkpoint(path, model, checkpoint_type=ctype, min_loaded=cfg.TRAIN.CHECKPOINT_MIN_LOADED)
        for path, ctype in sources
    ]
