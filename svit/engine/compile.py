"""Speed switches applied where the engine builds the model and the optimiser (one call each):

* ``MODEL.DEPTHWISE_CONV_IMPL``: how every depthwise Conv3d of any family runs (``svit.models.layers.depthwise``);
* ``TRAIN.COMPILE``: ``torch.compile`` of the (DDP-wrapped) model the train step calls, with
  ``TRAIN.COMPILE_MODE``; checkpoints keep using the unwrapped module, so names do not change;
* ``SOLVER.FUSED``: the fused multi-tensor step of AdamW and SGD when every parameter is on a CUDA
  device: it removes hundreds of small kernels per step and, under fp16's GradScaler, the host wait of
  the unfused step (which reads whether any gradient overflowed); same update up to float rounding.
"""
from __future__ import annotations

import logging
from typing import Any

import torch
import torch.nn as nn
from fvcore.common.config import CfgNode

from svit.models.layers.depthwise import set_depthwise_conv_impl

logger = logging.getLogger(__name__)

COMPILE_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")


def apply_model_speed_options(cfg: CfgNode, model: nn.Module) -> nn.Module:
    """Turns every depthwise Conv3d of ``model`` into a ``DepthwiseConv3d`` running MODEL.DEPTHWISE_CONV_IMPL
    (parameters and state-dict keys unchanged); returns ``model``."""
    impl = str(cfg.MODEL.DEPTHWISE_CONV_IMPL)
    count = set_depthwise_conv_impl(model, impl)
    logger.info("MODEL.DEPTHWISE_CONV_IMPL %s: %d depthwise Conv3d modules", impl, count)
    return model


def maybe_compile(cfg: CfgNode, model: nn.Module) -> nn.Module:
    """``torch.compile(model, mode=TRAIN.COMPILE_MODE)`` when TRAIN.COMPILE, else ``model``."""
    if not cfg.TRAIN.COMPILE:
        return model
    mode = str(cfg.TRAIN.COMPILE_MODE)
    if mode not in COMPILE_MODES:
        raise ValueError(f"TRAIN.COMPILE_MODE must be one of {COMPILE_MODES}, got {mode!r}")
    logger.info("torch.compile of the training model (mode %s); the first steps compile", mode)
    return torch.compile(model, mode=mode)


def fused_kwargs(cfg: CfgNode, groups: list[dict]) -> dict[str, Any]:
    """``{"fused": True}`` for AdamW/SGD when SOLVER.FUSED and all parameters are floating-point CUDA
    tensors (what the fused kernels support), else ``{}``."""
    if not cfg.SOLVER.FUSED:
        return {}
    params = [p for g in groups for p in g["params"]]
    if params and all(p.is_cuda and p.is_floating_point() for p in params):
        return {"fused": True}
    return {}
