"""Builds the model named by ``cfg.MODEL.MODEL_NAME`` from the registry, and says which adapters
load the files a fresh training run starts from (builders themselves never read files)."""
from __future__ import annotations

from typing import Callable

import torch.nn as nn
from fvcore.common.config import CfgNode

from svit.models.cnn.inflate import RULE_ADAPTERS
from svit.models.registry import MODEL_REGISTRY


def build_model(cfg: CfgNode) -> nn.Module:
    """Returns the (CPU, float32, train-mode) model that ``cfg.MODEL.MODEL_NAME`` names, with
    gradient checkpointing switched on when MODEL.ACT_CHECKPOINT is set."""
    builder = MODEL_REGISTRY.get(cfg.MODEL.MODEL_NAME)
    model = builder(cfg)
    if cfg.MODEL.ACT_CHECKPOINT:
        # set_activation_checkpointing: the name of the first landing, still accepted.
        set_ckpt = getattr(model, "set_grad_checkpointing", None)
        set_ckpt = set_ckpt or getattr(model, "set_activation_checkpointing", None)
        if not callable(set_ckpt):
            raise ValueError(
                f"MODEL.ACT_CHECKPOINT is True but {type(model).__name__} ({cfg.MODEL.MODEL_NAME}) "
                "has no set_grad_checkpointing"
            )
        set_ckpt(True)
    return model


def train_checkpoint_type(cfg: CfgNode) -> list[str]:
    """Adapters for ``TRAIN.CHECKPOINT_FILE_PATH``: ``TRAIN.CHECKPOINT_TYPE``, then, with
    ``TRAIN.CHECKPOINT_INFLATE`` (PySlowFast's switch for 2D weights into a 3D model), the
    inflation adapter of ``CNN.INFLATE_RULE``."""
    types = [cfg.TRAIN.CHECKPOINT_TYPE]
    if cfg.TRAIN.CHECKPOINT_INFLATE:
        types.append(inflate_adapter(cfg))
    return types


def inflate_adapter(cfg: CfgNode) -> str:
    """The adapter name of ``CNN.INFLATE_RULE`` (``original`` -> ``inflate``, ``mean`` -> ``inflate_mean``)."""
    rule = cfg.CNN.INFLATE_RULE
    if rule not in RULE_ADAPTERS:
        raise ValueError(f"CNN.INFLATE_RULE must be one of {sorted(RULE_ADAPTERS)}, got {rule!r}")
    return RULE_ADAPTERS[rule]


def with_init_checkpoints(
    sources: Callable[[CfgNode], list[tuple[str, str]]],
) -> Callable[[Callable[[CfgNode], nn.Module]], Callable[[CfgNode], nn.Module]]:
    """Decorator attaching ``init_checkpoints(cfg) -> [(path, checkpoint_type)]`` to a builder: the
    weights a fresh training run loads (svit.models.prepare.load_init_checkpoints) before
    ``TRAIN.CHECKPOINT_FILE_PATH``; never read while building."""

    def deco(builder: Callable[[CfgNode], nn.Module]) -> Callable[[CfgNode], nn.Module]:
        builder.init_checkpoints = sources  # type: ignore[attr-defined]
        return builder

    return deco
