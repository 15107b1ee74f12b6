"""The trainer's epoch-end plot: ``OUTPUT_DIR/stats.png`` from the run's own stats.jsonl.

Drawn on the main process only, when TRAIN.PLOT_STATS is on, after the last epoch and after any epoch
that ends at least ``MIN_INTERVAL_S`` after the previous drawing: a run whose epochs take minutes or hours
gets a fresh picture every epoch, while a CPU run of 20-second epochs does not spend a second of every
epoch in matplotlib. A failure to plot (a missing font, a broken matplotlib) is logged as a warning and
never stops training.
"""
from __future__ import annotations

import logging
import os
import time
from typing import Callable

from fvcore.common.config import CfgNode

from svit.run_folder import STATS_PLOT
from svit.utils.distributed import is_main_process
from svit.vis import plots
from svit.vis.stats import read_run

logger = logging.getLogger("svit.vis")

MIN_INTERVAL_S = 60.0


class EpochPlot:
    """The trainer's redraw schedule for stats.png (module doc); ``clock`` is injectable for tests."""

    def __init__(self, cfg: CfgNode, clock: Callable[[], float] = time.monotonic) -> None:
        self.cfg, self.clock = cfg, clock
        self.drawn_at = clock()  # the first picture comes a minute into training, or at its end

    def after_epoch(self, last: bool) -> str | None:
        """Redraws when ``last`` or a minute has passed since the previous drawing; returns the path."""
        if not last and self.clock() - self.drawn_at < MIN_INTERVAL_S:
            return None
        self.drawn_at = self.clock()
        return plot_epoch_stats(self.cfg)


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
