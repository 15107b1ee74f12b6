"""The layout of a run folder (OUTPUT_DIR): the name of every file a run writes there and where its
checkpoints live.

Every writer takes its file name from here, and so do the engine's OUTPUT_DIR checks
(svit/engine/output_dir.py: refuse a fresh run into another run's folder, clear it on
TRAIN.OVERWRITE): a new output file named in ``RUN_FILES`` is one that the checks see and the overwrite
deletes. Names and paths only; creating, refusing and deleting stay with the engine. The module
imports nothing of svit beyond ``utils.atomic`` (its temp-name suffix), so ``utils.logging`` can name
log.txt from it::

    OUTPUT_DIR/
      config.yaml                                 the resolved config of the last run that passed its checks
      log.txt                                     the log (appended to by a resumed run)
      stats.jsonl, stats.png, tb/                 progress records, their plot, TensorBoard events
      checkpoints/checkpoint_epoch_00005.pyth     written after 5 completed epochs (atomic)
      test_results.json, test_scores.npz, ...     test-time results (RUN_FILES)
      vis/                                        tools/visualize.py's default output folder
"""
from __future__ import annotations

import os
import re

from svit.utils.atomic import TMP_SUFFIX

CONFIG_FILE = "config.yaml"
LOG_FILE = "log.txt"
STATS_FILE = "stats.jsonl"
STATS_PLOT = "stats.png"
TB_DIR = "tb"
CHECKPOINT_SUBDIR = "checkpoints"
TEST_RESULTS_FILE = "test_results.json"
TEST_SCORES_FILE = "test_scores.npz"
TEST_VIDEO_IDS_FILE = "test_video_ids.json"
PER_CLASS_ACCURACY_FILE = "per_class_accuracy.csv"
CONFUSION_CSV = "confusion_matrix.csv"
CONFUSION_PNG = "confusion_matrix.png"
CONFUSED_PAIRS_CSV = "most_confused_pairs.csv"
CONFUSED_PAIRS_PNG = "most_confused_pairs.png"
VIS_DIR = "vis"

# Files and folders that make a run: their presence means the folder holds one, and TRAIN.OVERWRITE
# deletes them (with the checkpoints and log.txt; config.yaml is rewritten by any run that passes its
# checks).
RUN_FILES = (
    STATS_FILE,
    TEST_RESULTS_FILE,
    TEST_SCORES_FILE,
    TEST_VIDEO_IDS_FILE,
    PER_CLASS_ACCURACY_FILE,
    CONFUSION_CSV,
    CONFUSION_PNG,
    CONFUSED_PAIRS_CSV,
    CONFUSED_PAIRS_PNG,
    STATS_PLOT,  # the epoch-end plots (TRAIN.PLOT_STATS): an old run's must not outlive TRAIN.OVERWRITE
)
RUN_DIRS = (TB_DIR,)

_CHECKPOINT_RE = re.compile(r"^checkpoint_epoch_(\d{5,})\.pyth$")


def checkpoint_dir(output_dir: str) -> str:
    """``OUTPUT_DIR/checkpoints``."""
    return os.path.join(output_dir, CHECKPOINT_SUBDIR)


def checkpoint_path(output_dir: str, epoch: int) -> str:
    """``OUTPUT_DIR/checkpoints/checkpoint_epoch_{epoch:05d}.pyth`` (epoch = completed epochs)."""
    return os.path.join(checkpoint_dir(output_dir), f"checkpoint_epoch_{epoch:05d}.pyth")


def list_checkpoints(output_dir: str) -> list[str]:
    """Complete checkpoints in ``output_dir``, oldest first (temp files are ignored)."""
    d = checkpoint_dir(output_dir)
    if not os.path.isdir(d):
        return []
    found = []
    for name in os.listdir(d):
        m = _CHECKPOINT_RE.match(name)
        if m:
            found.append((int(m.group(1)), os.path.join(d, name)))
    return [p for _, p in sorted(found)]


def last_checkpoint(output_dir: str) -> str | None:
    """The newest complete checkpoint, or None."""
    ckpts = list_checkpoints(output_dir)
    return ckpts[-1] if ckpts else None


def checkpoint_temps(output_dir: str) -> list[str]:
    """Half-written checkpoints (svit.utils.atomic temp files) in ``OUTPUT_DIR/checkpoints``."""
    d = checkpoint_dir(output_dir)
    if not os.path.isdir(d):
        return []
    return [os.path.join(d, name) for name in os.listdir(d) if name.endswith(TMP_SUFFIX)]
