"""The first training step of a run is logged at once, whatever LOG_PERIOD (newcomer item of issue 19:
SV-Mix printed nothing for its first 38 s with LOG_PERIOD 10); stats.jsonl keeps one record per period."""
from __future__ import annotations

import json
import logging

from svit.config import get_cfg
from svit.engine.progress import ProgressReporter


def test_first_step_is_logged_then_every_period(tmp_path):
    cfg = get_cfg()
    cfg.OUTPUT_DIR, cfg.LOG_PERIOD, cfg.TENSORBOARD.ENABLE = str(tmp_path), 10, False
    rep = ProgressReporter(cfg, enabled=True)
    rep.use_tqdm = False
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    log = logging.getLogger("svit.progress")
    log.addHandler(handler)
    old_level = log.level
    log.setLevel(logging.INFO)
    try:
        for epoch in range(2):
            rep.start_epoch(epoch, 25)
            for step in range(25):
                rep.step(epoch, step, 25, epoch * 25 + step + 1, {"lr": 0.1, "loss": float(step)}, 0.01, 0.1, 9.0)
    finally:
        log.removeHandler(handler)
        log.setLevel(old_level)
    lines = [r.getMessage() for r in records if " iter " in r.getMessage()]
    iters = [line.split(" iter ")[1].split()[0] for line in lines]
    assert iters == ["1/25", "10/25", "20/25", "25/25", "10/25", "20/25", "25/25"]
    assert "loss 0 " in lines[0]  # step 1 alone
    records = [json.loads(x) for x in open(tmp_path / "stats.jsonl")]
    # the period means are unchanged: iter 10 averages steps 1..10
    assert [r["iter"] for r in records if r["_type"] == "train_iter"] == [10, 20, 25, 10, 20, 25]
    assert records[0]["loss"] == sum(range(10)) / 10
