"""Training progress: tqdm on a terminal, log lines otherwise, stats.jsonl, TensorBoard, W&B.

Only rank 0 reports; other ranks get a reporter whose methods do nothing, so the loop never
branches on rank. Without tqdm the run's first step gets a log line at once (a slow model with a
long LOG_PERIOD is otherwise silent for its whole first period), then every LOG_PERIOD steps.
Every stats.jsonl record carries ``time`` (Unix seconds, wall clock). When a run resumes, the
records of the epochs it repeats (written by the killed process after its last checkpoint) are
dropped from stats.jsonl at the first ``start_epoch`` and one ``resume`` record says how many, so
plots get no duplicate points. Weights & Biases (``WANDB.ENABLE``) is imported only when enabled.
``eval_progress`` wraps a validation/test loader with the same kind of progress (tqdm or periodic
log lines with an ETA).
"""
from __future__ import annotations

import datetime
import json
import logging
import math
import os
import sys
import time
from typing import Any, Iterable, Iterator

from fvcore.common.config import CfgNode

from svit.config import ConfigError
from svit.run_folder import STATS_FILE, TB_DIR
from svit.utils.atomic import atomic_write_text

logger = logging.getLogger("svit.progress")


def _fmt(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def stats_records(path: str) -> Iterator[dict]:
    """The records of a stats.jsonl file in order, skipping a line a kill cut short (or any line that is
    not a JSON object): what every reader of a run's stats needs."""
    with open(path, errors="replace") as f:
        for line in f:
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict):
                yield rec


class ProgressReporter:
    """Writes what the trainer measures; ``enabled=False`` makes every call a no-op."""

    def __init__(self, cfg: CfgNode, enabled: bool) -> None:
        self.enabled = enabled
        self.period = max(1, int(cfg.LOG_PERIOD))
        self.max_epoch = cfg.SOLVER.MAX_EPOCH
        self.bar = None
        self.tb = None
        self.stats_path = os.path.join(cfg.OUTPUT_DIR, STATS_FILE)
        self.use_tqdm = enabled and sys.stderr.isatty()
        self._period_sums: dict[str, tuple[float, int]] = {}  # key -> (sum, count) since last log
        self._started = False
        self._shown_step = False  # whether a step line was logged yet (the run's first step always is)
        self.wandb = None
        if enabled:
            os.makedirs(cfg.OUTPUT_DIR, exist_ok=True)
        if enabled and cfg.TENSORBOARD.ENABLE:
            from torch.utils.tensorboard import SummaryWriter

            self.tb = SummaryWriter(log_dir=os.path.join(cfg.OUTPUT_DIR, TB_DIR))
        if enabled and cfg.WANDB.ENABLE:
            self.wandb = start_wandb(cfg)

    def write_stats(self, record: dict) -> None:
        """Appends one JSON line (with the wall-clock ``time``) to OUTPUT_DIR/stats.jsonl."""
        if not self.enabled:
            return
        record = {**record, "time": round(time.time(), 3)}
        with open(self.stats_path, "a") as f:
            f.write(json.dumps(record, sort_keys=True) + "\n")

    def drop_repeated_records(self, epoch: int) -> int:
        """Removes stats.jsonl records of epochs >= ``epoch`` (0-based; records store epoch + 1): what
        a killed run wrote after its last checkpoint, now repeated. Returns how many were dropped."""
        if not self.enabled or not os.path.isfile(self.stats_path):
            return 0

        kept, dropped = [], 0
        with open(self.stats_path, errors="replace") as f:
            for line in f:
                try:
                    rec = json.loads(line)
                except ValueError:  # a line cut by the kill
                    dropped += 1
                    continue
                if isinstance(rec.get("epoch"), int) and rec["epoch"] > epoch and rec.get("_type") != "resume":
                    dropped += 1
                    continue
                kept.append(line if line.endswith("\n") else line + "\n")
        if dropped:
            atomic_write_text(self.stats_path, "".join(kept))
            logger.info("stats.jsonl: dropped %d records of the interrupted epoch(s) now repeated", dropped)
        return dropped

    def start_epoch(self, epoch: int, steps: int) -> None:
        if not self._started:
            self._started = True
            dropped = self.drop_repeated_records(epoch)
            if epoch > 0 or dropped:
                self.write_stats({"_type": "resume", "epoch": epoch, "dropped_records": dropped})
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
            if not self._shown_step and self.bar is None:  # the first step at once: the run is alive
                self._log_step(epoch, step, steps, values, data_time, step_time, eta_seconds)
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
            self._log_step(epoch, step, steps, values, data_time, step_time, eta_seconds)
        if self.tb is not None:
            for k, v in values.items():
                self.tb.add_scalar(f"train/{k}", v, global_step)
        if self.wandb is not None:
            self.wandb.log({f"train/{k}": v for k, v in values.items()}, step=global_step)

    def _log_step(self, epoch: int, step: int, steps: int, values: dict[str, float], data_time: float,
                  step_time: float, eta_seconds: float) -> None:
        """One log line (no stats record: the first step's line does not cut the first period short)."""
        self._shown_step = True
        eta = str(datetime.timedelta(seconds=int(eta_seconds))) if math.isfinite(eta_seconds) else "?"
        parts = " ".join(f"{k} {_fmt(v)}" for k, v in values.items())
        logger.info("epoch %d/%d iter %d/%d %s | data %.3fs step %.3fs | eta %s",
                    epoch + 1, self.max_epoch, step + 1, steps, parts, data_time, step_time, eta)

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
        if self.wandb is not None:
            self.wandb.log({f"{phase}_epoch/{k}": v for k, v in summary.items() if isinstance(v, (int, float))}
                           | {"epoch": epoch + 1})

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        if self.tb is not None:
            self.tb.close()
        if self.wandb is not None:
            self.wandb.finish()


def start_wandb(cfg: CfgNode) -> Any:
    """``wandb.init`` for this run (resumable by OUTPUT_DIR); a clear error when wandb is missing."""
    try:
        import wandb
    except ImportError:
        raise ConfigError("WANDB.ENABLE is True but the wandb package is not installed: pip install wandb") from None
    import yaml

    name = cfg.WANDB.RUN_NAME or os.path.basename(os.path.abspath(cfg.OUTPUT_DIR))
    return wandb.init(project=cfg.WANDB.PROJECT, name=name, dir=cfg.OUTPUT_DIR, mode=cfg.WANDB.MODE,
                      config=yaml.safe_load(cfg.dump()), resume="allow")


def eval_progress(loader: Iterable, phase: str, enabled: bool, period: int = 0) -> Iterator:
    """Yields the batches of ``loader`` and reports progress: a tqdm bar on a terminal, else a log
    line every ``period`` batches (default: about 10 lines per pass) with the rate and an ETA."""
    try:
        total = len(loader)  # type: ignore[arg-type]
    except TypeError:
        total = 0
    if not enabled:
        yield from loader
        return
    if sys.stderr.isatty():
        from tqdm import tqdm

        yield from tqdm(loader, total=total or None, desc=phase, dynamic_ncols=True, leave=False)
        return
    period = period or max(1, math.ceil(total / 10)) if total else max(1, period or 50)
    start = time.perf_counter()
    done = 0
    for batch in loader:
        yield batch
        done += 1
        if done % period == 0 or done == total:
            elapsed = time.perf_counter() - start
            eta = elapsed / done * (total - done) if total else math.nan
            eta_s = str(datetime.timedelta(seconds=int(eta))) if math.isfinite(eta) else "?"
            logger.info("%s batch %d/%s | %.2f batches/s | eta %s", phase, done, total or "?",
                        done / max(elapsed, 1e-9), eta_s)
