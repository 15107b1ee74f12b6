"""Learning rate as a function of ONE global fractional epoch.

Every rank computes ``epoch + step / steps_per_epoch`` from the same counters, so all ranks use the
same lr, and a resumed run continues the schedule exactly.
"""
from __future__ import annotations

import bisect
import math

from fvcore.common.config import CfgNode


def base_lr(cfg: CfgNode) -> float:
    """SOLVER.BASE_LR, times NUM_SHARDS when SOLVER.BASE_LR_SCALE_NUM_SHARDS."""
    scale = cfg.NUM_SHARDS if cfg.SOLVER.BASE_LR_SCALE_NUM_SHARDS else 1
    return cfg.SOLVER.BASE_LR * scale


def _policy(cfg: CfgNode, epoch: float) -> float:
    s, lr0 = cfg.SOLVER, base_lr(cfg)
    if s.LR_POLICY == "constant":
        return lr0
    if s.LR_POLICY == "cosine":
        offset = s.WARMUP_EPOCHS if s.COSINE_AFTER_WARMUP else 0.0
        span = max(s.MAX_EPOCH - offset, 1e-12)
        progress = min(max((epoch - offset) / span, 0.0), 1.0)
        return s.COSINE_END_LR + (lr0 - s.COSINE_END_LR) * (math.cos(math.pi * progress) + 1.0) / 2.0
    if s.LR_POLICY == "steps_with_relative_lrs":
        idx = max(bisect.bisect_right(list(s.STEPS), epoch) - 1, 0)
        return s.LRS[idx] * lr0
    raise ValueError(f"SOLVER.LR_POLICY '{s.LR_POLICY}' is not supported")


def lr_at_epoch(cfg: CfgNode, epoch: float) -> float:
    """The lr at fractional ``epoch``, with linear warm-up from SOLVER.WARMUP_START_LR."""
    warm = cfg.SOLVER.WARMUP_EPOCHS
    if epoch < warm:
        end = _policy(cfg, warm)
        return cfg.SOLVER.WARMUP_START_LR + (end - cfg.SOLVER.WARMUP_START_LR) * epoch / warm
    return _policy(cfg, epoch)


def set_lr(optimizer, lr: float) -> None:
    """Sets ``lr`` on every param group (groups differ only in weight decay)."""
    for group in optimizer.param_groups:
        group["lr"] = lr * group.get("lr_scale", 1.0)
