"""The trainer's epoch-end plot: ``OUTPUT_DIR/stats.png`` from the run's own stats.jsonl.

Drawn on the main process only, when TRAIN.PLOT_STATS is on. A failure to plot (a missing font, a
broken matplotlib) is logged as a warning and never stops training.
"""
from __future__ import annotations

import logging
import os

from fvcore.common.config import CfgNode

from svit.run_folder import STATS_PLOT
from svit.utils.distributed import is_main_process
from svit.vis import plots
from svit.vis.stats import read_run

logger = logging.getLogger("svit.vis")



def plot_epoch_stats(cfg: CfgNode) -> str | None:
    """Redraws OUTPUT_DIR/stats.png; returns its path, or None when off, not rank 0, or failed."""
    if not cfg.TRAIN.PLOT_STATS or not is_main_process():
        return None
    try:
        run = read_run(cfg.OUTPUT_DIR)
        path = os.path.join(cfg.OUTPUT_DIR, STATS_PLOT)
        return plots.save_png(plots.runs_figure([run], title=f"{cfg.MODEL.MODEL_NAME} run {cfg.OUTPUT_DIR}"), path)
    except Exception as exc:  # a picture must never cost a training run
        logger.warning("could not plot %s/stats.jsonl (TRAIN.PLOT_STATS False turns this off): %s",
                       cfg.OUTPUT_DIR, exc)
        return None
