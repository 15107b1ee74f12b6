"""Checks that config values hold together, raising ConfigError naming the offending key.

Type checks happen while merging; here are the cross-key and range rules that a typo in a yaml
would otherwise turn into a crash hours into a run.
"""
from __future__ import annotations

from fvcore.common.config import CfgNode

from svit.config.errors import ConfigError


def _choice(cfg: CfgNode, key: str, allowed: set) -> None:
    node = cfg
    for p in key.split("."):
        node = node[p]
    if node not in allowed:
        raise ConfigError(f"{key} must be one of {sorted(allowed)}, got {node!r}.")


def validate_config(cfg: CfgNode) -> None:
    """Rules that need only the config (world size is checked by ``validate_world_size``)."""
    _choice(cfg, "TEST.NUM_SPATIAL_CROPS", {1, 3})
    _choice(cfg, "TEST.ENSEMBLE_METHOD", {"sum", "mean", "max"})
    _choice(cfg, "SOLVER.OPTIMIZING_METHOD", {"sgd", "adamw"})
    _choice(cfg, "SOLVER.LR_POLICY", {"cosine", "steps_with_relative_lrs", "constant"})
    _choice(cfg, "TRAIN.MIXED_PRECISION_DTYPE", {"float16", "bfloat16"})
    _choice(cfg, "DIST_BACKEND", {"auto", "nccl", "gloo"})
    if cfg.TEST.NUM_ENSEMBLE_VIEWS < 1:
        raise ConfigError(f"TEST.NUM_ENSEMBLE_VIEWS must be >= 1, got {cfg.TEST.NUM_ENSEMBLE_VIEWS}.")
    if cfg.TRAIN.GRAD_ACCUM_STEPS < 1:
        raise ConfigError(f"TRAIN.GRAD_ACCUM_STEPS must be >= 1, got {cfg.TRAIN.GRAD_ACCUM_STEPS}.")
    for key in ("TRAIN.BATCH_SIZE", "TEST.BATCH_SIZE"):
        sec, leaf = key.split(".")
        if cfg[sec][leaf] < 1:
            raise ConfigError(f"{key} must be >= 1, got {cfg[sec][leaf]}.")
    if cfg.NUM_GPUS < 0 or cfg.NUM_CPU_PROCS < 1:
        raise ConfigError(
            f"NUM_GPUS must be >= 0 and NUM_CPU_PROCS >= 1, got {cfg.NUM_GPUS} and {cfg.NUM_CPU_PROCS}."
        )
    if cfg.NUM_SHARDS < 1 or not 0 <= cfg.SHARD_ID < cfg.NUM_SHARDS:
        raise ConfigError(
            f"SHARD_ID must be in [0, NUM_SHARDS); got SHARD_ID {cfg.SHARD_ID}, NUM_SHARDS {cfg.NUM_SHARDS}."
        )
    if not 0.0 <= cfg.DATA.MAX_BAD_FRACTION <= 1.0:
        raise ConfigError(f"DATA.MAX_BAD_FRACTION must be in [0, 1], got {cfg.DATA.MAX_BAD_FRACTION}.")
    if cfg.SOLVER.LR_POLICY == "steps_with_relative_lrs":
        steps, lrs = list(cfg.SOLVER.STEPS), list(cfg.SOLVER.LRS)
        # PySlowFast configs may list more LRS than STEPS (the extra ones are never reached).
        if not steps or len(lrs) < len(steps):
            raise ConfigError(
                f"SOLVER.STEPS must be non-empty and SOLVER.LRS needs one entry per step, got "
                f"{steps} and {lrs}."
            )
        if steps != sorted(steps):
            raise ConfigError(f"SOLVER.STEPS must be increasing, got {steps}.")
    for pair in cfg.TRAIN.CHECKPOINT_REPLACE_NAME_PATTERN:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ConfigError(
                f"TRAIN.CHECKPOINT_REPLACE_NAME_PATTERN entries must be [old, new] pairs, got {pair!r}."
            )
    if cfg.SOLVER.WARMUP_EPOCHS < 0 or cfg.SOLVER.MAX_EPOCH < 1:
        raise ConfigError(
            f"SOLVER.MAX_EPOCH must be >= 1 and SOLVER.WARMUP_EPOCHS >= 0, got "
            f"{cfg.SOLVER.MAX_EPOCH} and {cfg.SOLVER.WARMUP_EPOCHS}."
        )


def validate_world_size(cfg: CfgNode, world_size: int) -> None:
    """Global batches must split evenly over processes (and micro-batches) of a run."""
    accum = cfg.TRAIN.GRAD_ACCUM_STEPS
    if cfg.TRAIN.ENABLE and cfg.TRAIN.BATCH_SIZE % (world_size * accum):
        raise ConfigError(
            f"TRAIN.BATCH_SIZE {cfg.TRAIN.BATCH_SIZE} must be divisible by world size {world_size} "
            f"x TRAIN.GRAD_ACCUM_STEPS {accum}."
        )
    if cfg.TEST.BATCH_SIZE % world_size:
        raise ConfigError(
            f"TEST.BATCH_SIZE {cfg.TEST.BATCH_SIZE} must be divisible by world size {world_size}."
        )
