"""What the selected batch hooks and the task need from the config, checked before anything is built.

A hook or a task that cannot run with some setting (SV-Mix with one clip per process batch, SViT
co-training without image datasets, ...) declares it in its ``check_config(cfg)`` classmethod,
raising ConfigError naming the keys and their values. ``check_part_configs`` calls it for the task
and every hook of the run: from the launcher before any process starts (one line, exit code 2) and
from the experiment construction, so a run never fails on it at step 1 after writing files.
"""
from __future__ import annotations

import os

from fvcore.common.config import CfgNode

from svit.config.errors import ConfigError
from svit.utils.distributed import procs_per_machine


def world_size_of(cfg: CfgNode) -> int:
    """Processes of the run: the process group's size once it exists, torchrun's WORLD_SIZE, else the
    launcher's layout (NUM_GPUS, or NUM_CPU_PROCS without GPUs, per shard, x NUM_SHARDS)."""
    import torch.distributed as dist

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


def check_part_configs(cfg: CfgNode) -> None:
    """Calls ``check_config(cfg)`` of TRAIN.TASK and of every hook of the run (training only); the
    names are expected to be registered (svit/engine/names.py checks that first)."""
    if not cfg.TRAIN.ENABLE:
        return
    # cycle: the hooks and tasks these registries autoload import this module's helpers (next round: the
    # helpers above in their own module)
    from svit.engine.hooks import HOOK_REGISTRY, hook_names  # cycle (see above)
    from svit.engine.names import check_registered_names  # cycle (see above)
    from svit.engine.tasks import TASK_REGISTRY  # cycle (see above)

    check_registered_names(cfg)
    parts = [TASK_REGISTRY.get(cfg.TRAIN.TASK), *(HOOK_REGISTRY.get(name) for name in hook_names(cfg))]
    for part in parts:
        check = getattr(part, "check_config", None)  # a part registered as a plain function has none
        if callable(check):
            check(cfg)


def require(ok: bool, message: str) -> None:
    """ConfigError(message) unless ``ok``: the one-line form of a part's requirement."""
    if not ok:
        raise ConfigError(message)
