"""Training progress: tqdm on a terminal, log lines otherwise, stats.jsonl and TensorBoard.

Only rank 0 reports; other ranks get a reporter whose methods do nothing, so the loop never
branches on rank.
"""
from __future__ import annotations

import datetime
import json
import logging
import math
import os
import sys
from typing import Any

from fvcore.common.config import CfgNode

logger = logging.getLogger("svit.progress")


def _fmt(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


class ProgressReporter:
    """Writes what the trainer measures; ``enabled=False`` makes every call a no-op."""

    def __init__(self, cfg: CfgNode, enabled: bool) -> None:
        self.enabled = enabled
        self.period = max(1, int(cfg.LOG_PERIOD))
        self.max_epoch = cfg.SOLVER.MAX_EPOCH
        self.bar = None
        self.tb = None
        self.stats_path = os.path.join(cfg.OUTPUT_DIR, "stats.jsonl")
        self.use_tqdm = enabled and sys.stderr.isatty()
        self._period_sums: dict[str, tuple[float, int]] = {}  # key -> (sum, count) since last log
        if enabled:
            os.makedirs(cfg.OUTPUT_DIR, exist_ok=True)
        if enabled and cfg.TENSORBOARD.ENABLE:
            from torch.utils.tensorboard import SummaryWriter

            self.tb = SummaryWriter(log_dir=os.path.join(cfg.OUTPUT_DIR, "tb"))

    def write_stats(self, record: dict) -> None:
        """Appends one JSON line to OUTPUT_DIR/stats.jsonl."""
        if not self.enabled:
            return
        with open(self.stats_path, "a") as f:
            f.write(json.dumps(record, sort_keys=True) + "\n")

    def start_epoch(self, epoch: int, steps: int) -> None:
        if self.use_tqdm:
            from tqdm import tqdm

            self.bar = tqdm(total=steps, desc=f"epoch {epoch + 1}/{self.max_epoch}", dynamic_ncols=True)

    def step(self, epoch: int, step: int, steps: int, global_step: int, values: dict[str, float],
             data_time: float, step_time: float, eta_seconds: float) -> None:
        """One optimiser step finished; ``values`` holds lr, loss, each term, top1/top5 (%)."""
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix({k: _fmt(v) for k, v in values.items() if k in ("loss", "top1", "lr")})
        # Log lines and stats.jsonl summarise the whole period (means since the last log), so a
        # LOG_PERIOD of 50 does not report one arbitrary step; lr is the current value.
        acc = self._period_sums
        for k, v in {**values, "data_time": data_time, "step_time": step_time}.items():
            total, n = acc.get(k, (0.0, 0))
            acc[k] = (total + float(v), n + 1)
        if (step + 1) % self.period and step + 1 != steps:
            return
        means = {k: total / n for k, (total, n) in acc.items()}
        acc.clear()
        data_time, step_time = means.pop("data_time"), means.pop("step_time")
        values = {k: (values[k] if k == "lr" else means[k]) for k in values}
        eta = str(datetime.timedelta(seconds=int(eta_seconds))) if math.isfinite(eta_seconds) else "?"
        record = {"_type": "train_iter", "epoch": epoch + 1, "iter": step + 1, "iters": steps,
                  "data_time": data_time, "step_time": step_time, "eta": eta, **values}
        self.write_stats(record)
        if self.bar is None:
            parts = " ".join(f"{k} {_fmt(v)}" for k, v in values.items())
            logger.info("epoch %d/%d iter %d/%d %s | data %.3fs step %.3fs | eta %s",
                        epoch + 1, self.max_epoch, step + 1, steps, parts, data_time, step_time, eta)
        if self.tb is not None:
            for k, v in values.items():
                self.tb.add_scalar(f"train/{k}", v, global_step)

    def end_epoch(self, epoch: int, summary: dict[str, float], phase: str = "train") -> None:
        """Epoch summary of ``phase`` (train or val): stats line, log line, TensorBoard."""
        if not self.enabled:
            return
        if self.bar is not None and phase == "train":
            self.bar.close()
            self.bar = None
        self.write_stats({"_type": f"{phase}_epoch", "epoch": epoch + 1, **summary})
        logger.info("%s epoch %d: %s", phase, epoch + 1, " ".join(f"{k} {_fmt(v)}" for k, v in summary.items()))
        if self.tb is not None:
            for k, v in summary.items():
                if isinstance(v, (int, float)):
                    self.tb.add_scalar(f"{phase}_epoch/{k}", v, epoch + 1)
            self.tb.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        if self.tb is not None:
            self.tb.close()
