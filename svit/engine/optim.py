"""Optimiser construction (SGD/AdamW, weight-decay groups) and gradient clipping."""
from __future__ import annotations

import logging

import torch
import torch.nn as nn
from fvcore.common.config import CfgNode

from svit.engine.lr_policy import lr_at_epoch

logger = logging.getLogger("svit.optim")

_BN_TYPES = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm, nn.GroupNorm)


def _skip_names(model: nn.Module) -> set[str]:
    fn = getattr(model, "no_weight_decay", None)
    return set(fn()) if callable(fn) else set()


def _listed(name: str, skip: set[str]) -> bool:
    """``name`` is listed exactly, by its leaf name, or under a listed module prefix."""
    return any(name == s or name.endswith("." + s) or name.startswith(s + ".") for s in skip)


def param_groups(cfg: CfgNode, model: nn.Module) -> list[dict]:
    """Three groups: normal (WEIGHT_DECAY), no decay (1-D if ZERO_WD_1D_PARAM, model-listed), BN."""
    skip = _skip_names(model)
    bn_params = {id(p) for m in model.modules() if isinstance(m, _BN_TYPES) for p in m.parameters(recurse=False)}
    decay, no_decay, bn = [], [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        if id(p) in bn_params:
            bn.append(p)
        elif _listed(name, skip) or (cfg.SOLVER.ZERO_WD_1D_PARAM and p.ndim <= 1):
            no_decay.append(p)
        else:
            decay.append(p)
    bn_wd = cfg.SOLVER.BN_WEIGHT_DECAY or cfg.BN.WEIGHT_DECAY
    groups = [
        {"params": decay, "weight_decay": cfg.SOLVER.WEIGHT_DECAY, "name": "decay"},
        {"params": no_decay, "weight_decay": 0.0, "name": "no_decay"},
        {"params": bn, "weight_decay": bn_wd, "name": "bn"},
    ]
    logger.info("Param groups: %d decay, %d no-decay, %d BN tensors", len(decay), len(no_decay), len(bn))
    return [g for g in groups if g["params"]]


def build_optimizer(cfg: CfgNode, model: nn.Module) -> torch.optim.Optimizer:
    """SGD or AdamW over ``param_groups``; the lr is overwritten every step by the lr policy."""
    groups = param_groups(cfg, model)
    lr = lr_at_epoch(cfg, 0.0)
    s = cfg.SOLVER
    if s.OPTIMIZING_METHOD == "sgd":
        return torch.optim.SGD(
            groups, lr=lr, momentum=s.MOMENTUM, dampening=s.DAMPENING, nesterov=s.NESTEROV
        )
    if s.OPTIMIZING_METHOD == "adamw":
        return torch.optim.AdamW(groups, lr=lr, betas=tuple(s.BETAS), eps=s.EPS)
    raise ValueError(f"SOLVER.OPTIMIZING_METHOD '{s.OPTIMIZING_METHOD}' is not supported")


def clip_gradients(cfg: CfgNode, parameters) -> float | None:
    """Clips by value (SOLVER.CLIP_GRAD_VAL) and/or by global L2 norm; returns the norm if clipped."""
    params = [p for p in parameters if p.grad is not None]
    if cfg.SOLVER.CLIP_GRAD_VAL:
        torch.nn.utils.clip_grad_value_(params, cfg.SOLVER.CLIP_GRAD_VAL)
    if cfg.SOLVER.CLIP_GRAD_L2NORM:
        return float(torch.nn.utils.clip_grad_norm_(params, cfg.SOLVER.CLIP_GRAD_L2NORM))
    return None
