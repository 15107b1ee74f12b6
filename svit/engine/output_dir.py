"""What a training run may do with an OUTPUT_DIR that already holds files.

A fresh run started into the folder of another run used to replace that run's epoch-1 checkpoint,
leave its later checkpoints behind and append to its ``stats.jsonl``: two runs mixed, silently.
``check_output_dir`` decides before anything is written:

* the folder holds no run (no checkpoints, no stats, no results): start;
* the run resumes (``TRAIN.AUTO_RESUME`` with a checkpoint there, ``TRAIN.RESUME_FROM``, or
  ``TRAIN.CHECKPOINT_FILE_PATH`` with ``TRAIN.CHECKPOINT_EPOCH_RESET False``): continue in place;
* ``TRAIN.OVERWRITE``: the old run's checkpoints, stats, TensorBoard events and results are deleted
  (listed in the log) and the run starts fresh;
* otherwise: ``OutputDirError`` naming the folder, what it holds and the three ways out.

``prune_checkpoints`` keeps only the newest ``TRAIN.KEEP_LAST_CHECKPOINTS`` epoch checkpoints.
"""
from __future__ import annotations

import logging
import os
import shutil

from fvcore.common.config import CfgNode

from svit.checkpoint import checkpoint_dir, list_checkpoints
from svit.engine.errors import RunError
from svit.utils.distributed import barrier, is_main_process

logger = logging.getLogger("svit.output_dir")

# Files and folders a run writes into OUTPUT_DIR (config.yaml and logs are rewritten by any run).
RUN_FILES = (
    "stats.jsonl",
    "test_results.json",
    "test_scores.npz",
    "test_video_ids.json",
    "per_class_accuracy.csv",
    "confusion_matrix.csv",
    "confusion_matrix.png",
    "most_confused_pairs.csv",
    "most_confused_pairs.png",
)
RUN_DIRS = ("tb",)


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
    if cfg.TRAIN.AUTO_RESUME and not previous_run_has_epochs(cfg.OUTPUT_DIR):
        return True  # the earlier run was killed before its first checkpoint: start it again
    return False


def previous_run_has_epochs(output_dir: str) -> bool:
    """Whether stats.jsonl records a finished training epoch (a run that should have a checkpoint)."""
    path = os.path.join(output_dir, "stats.jsonl")
    if not os.path.isfile(path):
        return False
    with open(path, errors="replace") as f:
        return any('"_type": "train_epoch"' in line for line in f)


def clear_previous_run(output_dir: str) -> list[str]:
    """Deletes an earlier run's checkpoints, stats, events and results; returns what was deleted."""
    removed = []
    for p in list_checkpoints(output_dir):
        os.remove(p)
        removed.append(os.path.relpath(p, output_dir))
    d = checkpoint_dir(output_dir)
    if os.path.isdir(d):
        for name in os.listdir(d):
            if name.endswith(".tmp"):  # half-written checkpoints of the old run
                os.remove(os.path.join(d, name))
                removed.append(os.path.join("checkpoints", name))
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
