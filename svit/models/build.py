"""Builds the model named by ``cfg.MODEL.MODEL_NAME`` from the registry."""
from __future__ import annotations

import torch.nn as nn
from fvcore.common.config import CfgNode

from svit.models.registry import MODEL_REGISTRY


def build_model(cfg: CfgNode) -> nn.Module:
    """Returns the (CPU, float32, train-mode) model that ``cfg.MODEL.MODEL_NAME`` names."""
    builder = MODEL_REGISTRY.get(cfg.MODEL.MODEL_NAME)
    model = builder(cfg)
    if cfg.MODEL.ACT_CHECKPOINT and hasattr(model, "set_activation_checkpointing"):
        model.set_activation_checkpointing(True)
    return model
