"""What a training run may do with an OUTPUT_DIR that already holds files.

A fresh run started into the folder of another run used to replace that run's epoch-1 checkpoint,
leave its later checkpoints behind and append to its ``stats.jsonl``: two runs mixed, silently.
``check_output_dir`` decides before anything is written:

* the folder holds no run (no checkpoints, no stats, no results): start;
* the run resumes (``TRAIN.AUTO_RESUME`` with a checkpoint there, ``TRAIN.RESUME_FROM``, or
  ``TRAIN.CHECKPOINT_FILE_PATH`` with ``TRAIN.CHECKPOINT_EPOCH_RESET False``): continue in place;
* ``TRAIN.AUTO_RESUME`` and the folder holds only what a run writes before its first checkpoint
  exists (killed, or out of disk, before or while writing it): the run starts again from scratch,
  dropping those records, if it is the same model (svit/engine/resume_check.py ``check_restart``);
* ``TRAIN.OVERWRITE``: the old run's checkpoints, stats, TensorBoard events, results and log.txt are
  deleted (listed in the new log) and the run starts fresh;
* otherwise: ``OutputDirError`` naming the folder, what it holds and the three ways out.

``prune_checkpoints`` keeps only the newest ``TRAIN.KEEP_LAST_CHECKPOINTS`` epoch checkpoints. Which
files make a run, and where they are, is the run folder's layout (svit/run_folder.py).
"""
from __future__ import annotations

import logging
import os
import shutil

from fvcore.common.config import CfgNode

from svit.engine.errors import RunError
from svit.engine.progress import stats_records
from svit.run_folder import (
    LOG_FILE,
    RUN_DIRS,
    RUN_FILES,
    STATS_FILE,
    STATS_PLOT,
    TB_DIR,
    checkpoint_temps,
    list_checkpoints,
)
from svit.utils.distributed import barrier, is_main_process

logger = logging.getLogger("svit.output_dir")

class OutputDirError(RunError):
    """OUTPUT_DIR holds another run and the config says neither resume nor overwrite."""


def previous_run(output_dir: str) -> list[str]:
    """What of an earlier run ``output_dir`` holds (checkpoint and file names), empty if none."""
    found = [os.path.relpath(p, output_dir) for p in list_checkpoints(output_dir)]
    for name in RUN_FILES:
        p = os.path.join(output_dir, name)
        if os.path.isfile(p) and os.path.getsize(p) > 0:
            found.append(name)
    for name in RUN_DIRS:
        p = os.path.join(output_dir, name)
        if os.path.isdir(p) and os.listdir(p):
            found.append(name + "/")
    return found


def resumes(cfg: CfgNode) -> bool:
    """True when this training run continues an earlier one in OUTPUT_DIR."""
    if cfg.TRAIN.AUTO_RESUME and list_checkpoints(cfg.OUTPUT_DIR):
        return True
    if cfg.TRAIN.RESUME_FROM:
        return True  # an explicit resume (tools/run_net.py --resume PATH)
    if cfg.TRAIN.CHECKPOINT_FILE_PATH and not cfg.TRAIN.CHECKPOINT_EPOCH_RESET:
        return True  # continuing from a checkpoint's epoch (PySlowFast style)
    if cfg.TRAIN.AUTO_RESUME and stopped_before_first_checkpoint(cfg):
        return True  # killed (or out of disk) before or while writing its first checkpoint: start it again
    return False


def first_checkpoint_epoch(cfg: CfgNode) -> int:
    """The epoch (1-based) after which a run writes its first checkpoint."""
    return min(max(1, int(cfg.TRAIN.CHECKPOINT_PERIOD)), max(1, int(cfg.SOLVER.MAX_EPOCH)))


def stopped_before_first_checkpoint(cfg: CfgNode) -> bool:
    """Whether OUTPUT_DIR holds only what a run writes before its first checkpoint is complete: stats
    and events, with no epoch recorded past the first save (the trainer records epoch E, then saves,
    then validates: a later train epoch or a validation of epoch E means the save had succeeded, and
    its checkpoints were deleted since). Such a run is restarted from scratch by the same command."""
    out = cfg.OUTPUT_DIR
    before_first = (STATS_FILE, STATS_PLOT, TB_DIR + "/")  # what a run writes before its first checkpoint
    if list_checkpoints(out) or any(name not in before_first for name in previous_run(out)):
        return False
    first = first_checkpoint_epoch(cfg)
    path = os.path.join(out, STATS_FILE)
    if not os.path.isfile(path):
        return True
    for rec in stats_records(path):  # a line cut by the kill is skipped
        if not isinstance(rec.get("epoch"), int):
            continue
        kind, epoch = rec.get("_type"), rec["epoch"]  # 1-based, except the 0-based start of a "resume"
        if kind == "resume":
            if epoch > 0:  # it had resumed from a checkpoint (epoch 0: an earlier restart like this one)
                return False
        elif epoch > first or (kind == "val_epoch" and epoch == first):
            return False
    return True


def clear_previous_run(output_dir: str) -> list[str]:
    """Deletes an earlier run's checkpoints, stats, events, results and log; returns what was deleted."""
    removed = []
    for p in list_checkpoints(output_dir):
        os.remove(p)
        removed.append(os.path.relpath(p, output_dir))
    for p in checkpoint_temps(output_dir):  # half-written checkpoints of the old run
        os.remove(p)
        removed.append(os.path.relpath(p, output_dir))
    for name in RUN_FILES:
        p = os.path.join(output_dir, name)
        if os.path.isfile(p):
            os.remove(p)
            removed.append(name)
    for name in RUN_DIRS:
        p = os.path.join(output_dir, name)
        if os.path.isdir(p):
            shutil.rmtree(p)
            removed.append(name + "/")
    log = os.path.join(output_dir, LOG_FILE)
    if os.path.isfile(log):  # the new run starts a log of its own (its lines are held until now)
        os.remove(log)
        removed.append(LOG_FILE)
    return removed


def check_output_dir(cfg: CfgNode) -> None:
    """Refuses (every rank) or clears (rank 0) an OUTPUT_DIR holding another run; see the module doc.

    Call at the start of a training run, before anything is written into OUTPUT_DIR.
    """
    if not cfg.TRAIN.ENABLE or cfg.TRAIN.VAL_ONLY:
        return
    out = cfg.OUTPUT_DIR
    found = previous_run(out)
    if not found:
        return
    if cfg.TRAIN.OVERWRITE:
        barrier()  # every rank has looked before rank 0 deletes
        if is_main_process():
            removed = clear_previous_run(out)
            logger.warning("TRAIN.OVERWRITE: deleted the earlier run's files in %s: %s", out, ", ".join(removed))
        barrier()
        return
    if resumes(cfg):
        return
    shown = ", ".join(found[:8]) + (f" and {len(found) - 8} more" if len(found) > 8 else "")
    raise OutputDirError(
        f"OUTPUT_DIR {out} already holds another run ({shown}). Starting a fresh run there would mix the "
        f"two. Resume it with TRAIN.AUTO_RESUME True, delete its checkpoints and stats with "
        f"TRAIN.OVERWRITE True, or choose another OUTPUT_DIR."
    )


def prune_checkpoints(output_dir: str, keep: int) -> list[str]:
    """Deletes all but the newest ``keep`` epoch checkpoints (``keep`` <= 0 keeps all); rank 0 only."""
    if keep <= 0 or not is_main_process():
        return []
    old = list_checkpoints(output_dir)[:-keep]
    for p in old:
        os.remove(p)
        logger.info("Deleted %s (TRAIN.KEEP_LAST_CHECKPOINTS %d)", p, keep)
    return old
