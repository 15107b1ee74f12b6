"""Reading a run's ``stats.jsonl`` into per-record-type series for the plots.

The engine (svit/engine/progress.py) appends one JSON object per line, each with a ``_type``:
``train_iter`` (means over a LOG_PERIOD: lr, loss, the loss terms ``loss_*``, top1/top5, data_time,
step_time, with ``epoch`` (1-based), ``iter`` and ``iters``), ``train_epoch`` (the epoch's means),
``val_epoch`` (online ``top1``/``top5``/``loss`` and, with an EMA, ``ema_top1``...) and ``resume``.
A line cut by a killed run is skipped (the engine drops such lines itself on resume).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

from svit.engine.progress import stats_records
from svit.run_folder import STATS_FILE


class StatsError(ValueError):
    """A run folder without a readable stats.jsonl."""


@dataclass
class Run:
    """One run's records by type; ``label`` names it in legends."""

    label: str
    path: str
    records: dict[str, list[dict]] = field(default_factory=dict)

    def of(self, kind: str) -> list[dict]:
        return self.records.get(kind, [])


def read_run(output_dir: str, label: str | None = None) -> Run:
    """Records of ``OUTPUT_DIR/stats.jsonl`` grouped by ``_type``; StatsError when there is none."""
    path = os.path.join(output_dir, STATS_FILE) if os.path.isdir(output_dir) else output_dir
    if not os.path.isfile(path):
        raise StatsError(f"{output_dir}: no stats.jsonl (is this a training OUTPUT_DIR?)")
    run = Run(label or os.path.basename(os.path.normpath(os.path.dirname(os.path.abspath(path)))), path)
    for rec in stats_records(path):
        run.records.setdefault(str(rec.get("_type", "")), []).append(rec)
    if not any(run.records.values()):
        raise StatsError(f"{path} holds no records")
    return run


def iter_x(rec: dict) -> float:
    """Fractional epoch of a ``train_iter`` record: epoch - 1 + iter / iters."""
    return rec["epoch"] - 1 + rec["iter"] / max(1, rec.get("iters") or 1)


def series(records: list[dict], key: str, x_of=None) -> tuple[list[float], list[float]]:
    """(x, y) of ``key`` over the records holding a finite number there; x is the record's epoch
    (or ``x_of(rec)``)."""
    xs, ys = [], []
    for rec in records:
        v = rec.get(key)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            continue
        xs.append(float(x_of(rec) if x_of else rec["epoch"]))
        ys.append(float(v))
    return xs, ys


def loss_terms(records: list[dict]) -> list[str]:
    """The loss-term keys (``loss_*`` and other keys naming a loss), total ``loss`` excluded, in
    first-seen order."""
    seen: dict[str, None] = {}
    for rec in records:
        for k in rec:
            if k != "loss" and "loss" in k and not k.startswith("_"):
                seen.setdefault(k, None)
    return list(seen)
