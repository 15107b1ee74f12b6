"""What training-time validation reports in a tiny synthetic run: the ``val_epoch`` rows of stats.jsonl,
the ``val epoch`` log lines and the ``val_epoch/*`` TensorBoard tags.

tests/engine/test_val_metrics.py compares them with ``fixtures/val_rows_tsm_tiny.json``, which this
module wrote when run as a script on the tree of commit d4ba13b (the val pass before it computed its
numbers through the metric registry)::

    git archive d4ba13b | tar -x -C /tmp/before
    PYTHONPATH=/tmp/before python tests/engine/val_rows.py tests/engine/fixtures/val_rows_tsm_tiny.json
"""
from __future__ import annotations

import json
import logging
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "configs" / "synthetic" / "tsm_tiny.yaml"
# One short epoch, then validation of the online model and its EMA (the ema_* fields); no test phase.
OPTS = {"SOLVER.MAX_EPOCH": 1, "TRAIN.MAX_STEPS_PER_EPOCH": 2, "TEST.ENABLE": False, "MODEL_EMA.ENABLE": True,
        "MODEL_EMA.DECAY": 0.5, "TENSORBOARD.ENABLE": True, "TRAIN.PLOT_STATS": False,
        "DATA_LOADER.NUM_WORKERS": 0}


class _Lines(logging.Handler):
    """Keeps the formatted messages of one logger."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def tb_tags(tb_dir: Path) -> list[str]:
    """The scalar tags of the run's TensorBoard events that start with ``val_epoch/``, sorted."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    tags: set[str] = set()
    for events in tb_dir.glob("events.out.tfevents*"):
        acc = EventAccumulator(str(events))
        acc.Reload()
        tags.update(t for t in acc.Tags()["scalars"] if t.startswith("val_epoch/"))
    return sorted(tags)


def val_run(out_dir: str, extra: dict | None = None) -> dict:
    """Trains tsm_tiny with ``OPTS`` (+ ``extra``) into ``out_dir``; returns rows (without ``time``),
    log lines and TensorBoard tags of its validation."""
    from svit.config import load_config
    from svit.engine.launch import launch_job

    opts = {**OPTS, **(extra or {}), "OUTPUT_DIR": out_dir}
    cfg = load_config(str(CONFIG), [str(x) for kv in opts.items() for x in kv])
    lines = _Lines()
    logging.getLogger("svit.progress").addHandler(lines)
    try:
        launch_job(cfg)
    finally:
        logging.getLogger("svit.progress").removeHandler(lines)
    with open(Path(out_dir) / "stats.jsonl") as f:
        rows = [json.loads(line) for line in f]
    rows = [{k: v for k, v in r.items() if k != "time"} for r in rows if r.get("_type") == "val_epoch"]
    return {"rows": rows, "log_lines": [m for m in lines.lines if m.startswith("val epoch")],
            "tb_tags": tb_tags(Path(out_dir) / "tb")}


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        got = val_run(str(Path(tmp) / "run"))
    Path(sys.argv[1]).write_text(json.dumps(got, indent=1) + "\n")
    print(json.dumps(got, indent=1))
