"""Optimiser construction (SGD/AdamW; weight-decay groups, SOLVER.PARAM_GROUPS lr/wd multipliers) and
gradient clipping."""
from __future__ import annotations

import logging
import re

import torch
import torch.nn as nn
from fvcore.common.config import CfgNode

from svit.config.errors import ConfigError
from svit.engine.compile import fused_kwargs
from svit.engine.lr_policy import lr_at_epoch

logger = logging.getLogger("svit.optim")

_BN_TYPES = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm, nn.GroupNorm)


def _skip_names(model: nn.Module) -> set[str]:
    """Names the model excludes from weight decay. Every registered family implements
    ``no_weight_decay()`` (model convention); bare modules (tests, hook-owned) may not."""
    if not hasattr(model, "no_weight_decay"):
        return set()
    return set(model.no_weight_decay())


def _listed(name: str, skip: set[str]) -> bool:
    """``name`` is listed exactly, by its leaf name, or under a listed module prefix."""
    return any(name == s or name.endswith("." + s) or name.startswith(s + ".") for s in skip)


def _rules(cfg: CfgNode) -> list[tuple[re.Pattern, float, float, str]]:
    """SOLVER.PARAM_GROUPS as (compiled regex, lr_mult, wd_mult, source text); ConfigError if malformed."""
    rules = []
    for entry in cfg.SOLVER.PARAM_GROUPS:
        if not isinstance(entry, (list, tuple)) or len(entry) != 3:
            raise ConfigError(f"SOLVER.PARAM_GROUPS entries must be [regex, lr_mult, wd_mult], got {entry!r}.")
        pattern, lr_mult, wd_mult = entry
        try:
            rules.append((re.compile(str(pattern)), float(lr_mult), float(wd_mult), str(pattern)))
        except (re.error, TypeError, ValueError) as e:
            raise ConfigError(f"SOLVER.PARAM_GROUPS entry {entry!r} is invalid: {e}.") from None
    return rules


def param_groups(cfg: CfgNode, model: nn.Module) -> list[dict]:
    """Optimiser groups: a weight-decay category per parameter (normal: WEIGHT_DECAY; no decay: 1-D
    if ZERO_WD_1D_PARAM, or listed by ``model.no_weight_decay()``; BN: BN weight decay), split by the
    first SOLVER.PARAM_GROUPS rule whose regex is found in the parameter name (``lr_scale`` =
    lr_mult, weight decay x wd_mult). A rule that matches no parameter is a ConfigError."""
    skip = _skip_names(model)
    bn_params = {id(p) for m in model.modules() if isinstance(m, _BN_TYPES) for p in m.parameters(recurse=False)}
    bn_wd = cfg.SOLVER.BN_WEIGHT_DECAY or cfg.BN.WEIGHT_DECAY
    base_wd = {"decay": cfg.SOLVER.WEIGHT_DECAY, "no_decay": 0.0, "bn": bn_wd}
    rules = _rules(cfg)
    # Group order is fixed (rule order x category), so optimiser state of a resumed run lines up.
    buckets: dict[tuple[int, str], list[nn.Parameter]] = {}
    hits = [0] * len(rules)
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        if id(p) in bn_params:
            cat = "bn"
        elif _listed(name, skip) or (cfg.SOLVER.ZERO_WD_1D_PARAM and p.ndim <= 1):
            cat = "no_decay"
        else:
            cat = "decay"
        rule = next((i for i, r in enumerate(rules) if r[0].search(name)), -1)
        if rule >= 0:
            hits[rule] += 1
        buckets.setdefault((rule, cat), []).append(p)
    unused = [rules[i][3] for i, n in enumerate(hits) if n == 0]
    if unused:
        some = [n for n, _ in model.named_parameters()][:8]
        raise ConfigError(
            f"SOLVER.PARAM_GROUPS pattern(s) {unused} match no trainable parameter of "
            f"{type(model).__name__} (names look like {some})."
        )
    groups = []
    for rule in range(-1, len(rules)):
        for cat in ("decay", "no_decay", "bn"):
            params = buckets.get((rule, cat))
            if not params:
                continue
            lr_mult, wd_mult, tag = (1.0, 1.0, "") if rule < 0 else (rules[rule][1], rules[rule][2], rules[rule][3])
            groups.append({
                "params": params,
                "weight_decay": base_wd[cat] * wd_mult,
                "lr_scale": lr_mult,
                "name": cat if rule < 0 else f"{cat}/{tag}",
            })
    return groups


def log_groups(groups: list[dict]) -> None:
    """One line per optimiser group: name, tensors, parameters, lr multiplier, weight decay."""
    for g in groups:
        logger.info(
            "Param group %-24s %4d tensors %10d params  lr x%g  wd %g",
            g.get("name", "?"), len(g["params"]), sum(p.numel() for p in g["params"]),
            g.get("lr_scale", 1.0), g["weight_decay"],
        )


def make_optimizer(cfg: CfgNode, groups: list[dict]) -> torch.optim.Optimizer:
    """SOLVER.OPTIMIZING_METHOD over ``groups``; the lr is overwritten every step by the lr policy."""
    lr = lr_at_epoch(cfg, 0.0)
    s = cfg.SOLVER

    if s.OPTIMIZING_METHOD == "sgd":
        return torch.optim.SGD(
            groups, lr=lr, momentum=s.MOMENTUM, dampening=s.DAMPENING, nesterov=s.NESTEROV,
            **fused_kwargs(cfg, groups),
        )
    if s.OPTIMIZING_METHOD == "adamw":
        return torch.optim.AdamW(groups, lr=lr, betas=tuple(s.BETAS), eps=s.EPS, **fused_kwargs(cfg, groups))
    raise ValueError(f"SOLVER.OPTIMIZING_METHOD '{s.OPTIMIZING_METHOD}' is not supported")


def build_optimizer(cfg: CfgNode, model: nn.Module, extra_groups: list[dict] | None = None) -> torch.optim.Optimizer:
    """The main optimiser: ``param_groups(model)`` plus ``extra_groups`` (hook-owned parameters that
    follow the main lr policy), logged once."""
    extra = [dict(g, name=g.get("name", f"extra{i}")) for i, g in enumerate(extra_groups or [])]
    groups = param_groups(cfg, model) + extra
    log_groups(groups)
    return make_optimizer(cfg, groups)


def clip_gradients(cfg: CfgNode, parameters) -> torch.Tensor | None:
    """Clips by value (SOLVER.CLIP_GRAD_VAL) and/or by global L2 norm; returns the norm (a device tensor:
    reading it would make the training step wait for the device) if clipped by norm."""
    params = [p for p in parameters if p.grad is not None]
    if cfg.SOLVER.CLIP_GRAD_VAL:
        torch.nn.utils.clip_grad_value_(params, cfg.SOLVER.CLIP_GRAD_VAL)
    if cfg.SOLVER.CLIP_GRAD_L2NORM:
        return torch.nn.utils.clip_grad_norm_(params, cfg.SOLVER.CLIP_GRAD_L2NORM)
    return None
