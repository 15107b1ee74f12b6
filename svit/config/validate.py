"""Checks that config values hold together, raising ConfigError naming the offending key.

Type checks happen while merging; here are the cross-key and range rules that a typo in a yaml
would otherwise turn into a crash hours into a run.
"""
from __future__ import annotations

from fvcore.common.config import CfgNode

from svit.config.errors import ConfigError
from svit.config.sections import check_key_choices


def _choice(cfg: CfgNode, key: str, allowed: set) -> None:
    node = cfg
    for p in key.split("."):
        node = node[p]
    if node not in allowed:
        raise ConfigError(f"{key} must be one of {sorted(allowed)}, got {node!r}.")


def _get(cfg: CfgNode, key: str):
    node = cfg
    for p in key.split("."):
        node = node[p]
    return node


def _at_least(cfg: CfgNode, minimum: float, *keys: str) -> None:
    for key in keys:
        value = _get(cfg, key)
        if value < minimum:
            raise ConfigError(f"{key} must be >= {minimum}, got {value}.")


def _in_unit(cfg: CfgNode, *keys: str, closed: bool = True) -> None:
    for key in keys:
        value = _get(cfg, key)
        if not (0.0 <= value <= 1.0 if closed else 0.0 <= value < 1.0):
            raise ConfigError(f"{key} must be in [0, 1{']' if closed else ')'}, got {value}.")


def _pair(cfg: CfgNode, key: str, positive: bool = True, ordered: bool = True) -> None:
    """An empty list or [low, high] (positive, low <= high)."""
    value = list(_get(cfg, key))
    if not value:
        return
    if len(value) != 2 or (positive and min(value) <= 0) or (ordered and value[0] > value[1]):
        raise ConfigError(
            f"{key} must be empty or [low, high] with {'0 < ' if positive else ''}low <= high, got {value}."
        )


def validate_semantics(cfg: CfgNode) -> None:
    """Value ranges and cross-key agreement that the data pipeline and torch would otherwise report
    as a traceback far from the config (a 0-frame clip, a negative learning rate, a 2-value MEAN
    for 3 channels)."""
    _at_least(cfg, 1, "DATA.NUM_FRAMES", "DATA.SAMPLING_RATE", "DATA.FRAMES_PER_SEGMENT",
              "DATA.TRAIN_CROP_SIZE", "DATA.TEST_CROP_SIZE", "MODEL.NUM_CLASSES", "LOG_PERIOD",
              "TRAIN.CHECKPOINT_PERIOD", "DATA.MAX_RETRIES")
    _at_least(cfg, 0, "DATA.TARGET_FPS", "DATA.TEST_SCALE_SIZE", "DATA.NUM_BOXES", "TRAIN.EVAL_PERIOD",
              "TRAIN.MAX_STEPS_PER_EPOCH", "DATA_LOADER.NUM_WORKERS",
              "SOLVER.BASE_LR", "SOLVER.WARMUP_START_LR", "SOLVER.COSINE_END_LR", "SOLVER.WEIGHT_DECAY",
              "SOLVER.MOMENTUM", "SOLVER.DAMPENING", "SOLVER.CLIP_GRAD_VAL", "SOLVER.BN_WEIGHT_DECAY",
              "MIXUP.ALPHA", "MIXUP.CUTMIX_ALPHA")
    if cfg.SOLVER.CLIP_GRAD_L2NORM is not None and cfg.SOLVER.CLIP_GRAD_L2NORM < 0:
        raise ConfigError(f"SOLVER.CLIP_GRAD_L2NORM must be >= 0 or None, got {cfg.SOLVER.CLIP_GRAD_L2NORM}.")
    for i, lr in enumerate(cfg.SOLVER.LRS):
        if lr < 0:
            raise ConfigError(f"SOLVER.LRS[{i}] must be >= 0, got {lr}.")
    _in_unit(cfg, "MODEL.DROPOUT_RATE", "MODEL.LABEL_SMOOTHING", "MIXUP.LABEL_SMOOTH_VALUE", closed=False)
    _in_unit(cfg, "AUG.RE_PROB", "MIXUP.PROB", "MIXUP.SWITCH_PROB")
    channels = list(cfg.DATA.INPUT_CHANNEL_NUM)
    if not channels or min(channels) < 1:
        raise ConfigError(f"DATA.INPUT_CHANNEL_NUM must list positive channel counts, got {channels}.")
    for key in ("DATA.MEAN", "DATA.STD"):
        value = list(_get(cfg, key))
        if len(value) != channels[0]:
            raise ConfigError(
                f"{key} has {len(value)} values but the input has {channels[0]} channels "
                f"(DATA.INPUT_CHANNEL_NUM {channels}): give one value per channel."
            )
    if min(cfg.DATA.STD) <= 0:
        raise ConfigError(f"DATA.STD values must be > 0 (they divide the input), got {list(cfg.DATA.STD)}.")
    _pair(cfg, "DATA.TRAIN_JITTER_SCALES")
    _pair(cfg, "DATA.TRAIN_JITTER_SCALES_RELATIVE")
    _pair(cfg, "DATA.TRAIN_JITTER_ASPECT_RELATIVE")
    _pair(cfg, "DATA.RESIZE_HW", ordered=False)
    _choice(cfg, "DATA.CHANNEL_ORDER", {"RGB", "BGR"})
    # DATA.DECODING_BACKEND, TEST.PROTOCOL, TEST.METRICS: the names their registries hold.
    check_key_choices(cfg)
    _choice(cfg, "DATA.FRAME_GAPS", {"error", "skip"})
    _choice(cfg, "DATA.SAMPLING", {"segment", "dense"})


def validate_config(cfg: CfgNode) -> None:
    """Rules that need only the config (world size is checked by ``validate_world_size``)."""
    validate_semantics(cfg)
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
