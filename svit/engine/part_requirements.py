"""What a hook's or a task's ``check_config(cfg)`` states its requirements with: the run's process
count, the clips one process sees per step, and ``require`` (a ConfigError naming the keys).

Kept apart from ``svit.engine.part_checks``, which calls those checks through the hook and task
registries: the parts import these helpers, so the module holding them must not import the parts.
"""
from __future__ import annotations

import os

import torch.distributed as dist
from fvcore.common.config import CfgNode

from svit.config.errors import ConfigError
from svit.utils.distributed import procs_per_machine


def world_size_of(cfg: CfgNode) -> int:
    """Processes of the run: the process group's size once it exists, torchrun's WORLD_SIZE, else the
    launcher's layout (NUM_GPUS, or NUM_CPU_PROCS without GPUs, per shard, x NUM_SHARDS)."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size()
    if "WORLD_SIZE" in os.environ and "RANK" in os.environ:
        return int(os.environ["WORLD_SIZE"])
    return max(1, int(procs_per_machine(cfg))) * max(1, int(cfg.NUM_SHARDS))


def clips_per_process_step(cfg: CfgNode) -> tuple[int, str]:
    """Clips in one process's micro-batch (what a hook sees per call) and how that number follows
    from the keys, for error messages."""
    world, accum = world_size_of(cfg), max(1, int(cfg.TRAIN.GRAD_ACCUM_STEPS))
    samples = max(1, int(cfg.AUG.NUM_SAMPLE))
    clips = int(cfg.TRAIN.BATCH_SIZE) // (world * accum) * samples
    how = f"TRAIN.BATCH_SIZE {cfg.TRAIN.BATCH_SIZE} / ({world} process(es) x TRAIN.GRAD_ACCUM_STEPS {accum})"
    if samples > 1:
        how += f" x AUG.NUM_SAMPLE {samples}"
    return clips, how


def require(ok: bool, message: str) -> None:
    """ConfigError(message) unless ``ok``: the one-line form of a part's requirement."""
    if not ok:
        raise ConfigError(message)
