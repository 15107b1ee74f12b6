"""Validation during training computes its numbers through the metric registry (TRAIN.EVAL_METRICS):
the default gives exactly the val rows, log lines and TensorBoard tags of the hard-wired pass it
replaced, and a metric registered by any module shows up in the val stats of every model, over the
rows of every rank."""
from __future__ import annotations

import json
import os
from pathlib import Path

import engine_toy
import numpy as np
import pytest
from val_rows import tb_tags, val_run

from svit.config import ConfigError, load_config
from svit.engine.evaluator import split_metrics
from svit.engine.launch import launch_job
from svit.engine.metrics import METRIC_REGISTRY, MetricInput

FIXTURE = Path(__file__).with_name("fixtures") / "val_rows_tsm_tiny.json"
PROBE = "zz_val_probe"


def probe(inp: MetricInput) -> dict[str, float]:
    """Rows seen, distinct video ids among them, and the mean row sum of the scores (1 for softmax)."""
    return {"probe_rows": len(inp.labels), "probe_videos": len(set(inp.video_ids or [])),
            "probe_row_sum": float(inp.scores.sum(axis=1).mean())}


if PROBE not in METRIC_REGISTRY:
    METRIC_REGISTRY.register(PROBE)(probe)
    METRIC_REGISTRY.register("zz_val_loss")(lambda inp: {"loss": 0.0})


def run_with_probe(cfg, device):
    """Spawn target: the toy parts and the probe metric registered in each process, then the phases."""
    if PROBE not in METRIC_REGISTRY:
        METRIC_REGISTRY.register(PROBE)(probe)
    return engine_toy.run_toy(cfg, device)


def _same_value(new, old) -> bool:
    return new == pytest.approx(old, rel=1e-9) if isinstance(old, float) else new == old


def test_default_val_rows_log_lines_and_tags_equal_those_of_the_hard_wired_pass(tmp_path):
    """tsm_tiny on synthetic SSv2, one epoch, online + EMA: the fixture was written by the val pass of
    commit d4ba13b (topk counted on the device), see tests/engine/val_rows.py."""
    before = json.loads(FIXTURE.read_text())
    got = val_run(str(tmp_path / "run"))
    assert got["log_lines"] == before["log_lines"]  # field names, their order, values to 4 digits
    assert got["tb_tags"] == before["tb_tags"]
    assert [sorted(r) for r in got["rows"]] == [sorted(r) for r in before["rows"]]
    for new, old in zip(got["rows"], before["rows"]):
        assert all(_same_value(new[k], old[k]) for k in old), (new, old)
    assert before["rows"][0]["num_samples"] == 80 and "ema_top5" in before["rows"][0]


@pytest.mark.parametrize("procs", [1, 2])
def test_a_registered_metric_appears_in_the_val_stats_of_every_model(tmp_path, procs):
    out = str(tmp_path / "out")
    cfg = load_config(None, engine_toy.toy_opts(out, NUM_CPU_PROCS=procs, **{
        "SOLVER.MAX_EPOCH": 1, "TEST.ENABLE": False, "MODEL_EMA.ENABLE": True, "MODEL_EMA.DECAY": 0.9,
        "TENSORBOARD.ENABLE": procs == 1, "TRAIN.EVAL_METRICS": f"['topk', 'mean_class_accuracy', '{PROBE}']"}))
    launch_job(cfg, init_method=f"file://{tmp_path}/rdzv", func=run_with_probe)
    stats = [json.loads(line) for line in open(os.path.join(out, "stats.jsonl"))]
    (row,) = [s for s in stats if s["_type"] == "val_epoch"]
    for prefix in ("", "ema_"):
        # every val video exactly once over the ranks, each with its own id, scores as probabilities
        assert row[f"{prefix}probe_rows"] == 12 and row[f"{prefix}probe_videos"] == 12
        assert row[f"{prefix}probe_row_sum"] == pytest.approx(1.0, abs=1e-5)
        # 4 videos per class: mean class accuracy equals top1
        assert row[f"{prefix}mean_class_accuracy"] == pytest.approx(row[f"{prefix}top1"])
    assert row["num_samples"] == 12 and "ema_num_samples" not in row
    if procs == 1:
        assert {"val_epoch/probe_rows", "val_epoch/ema_probe_row_sum"} <= set(tb_tags(Path(out) / "tb"))


def test_eval_metrics_names_registered_metrics():
    with pytest.raises(ConfigError, match=r"TRAIN.EVAL_METRICS must be one of .*'no_such_metric'"):
        load_config(None, ["TRAIN.EVAL_METRICS", "['topk', 'no_such_metric']"])


def test_a_metric_entry_named_like_a_val_field_or_twice_is_refused():
    cfg = load_config(None, ["TRAIN.EVAL_METRICS", "['topk', 'zz_val_loss']"])
    inp = MetricInput(np.eye(3, dtype=np.float32), np.arange(3))
    with pytest.raises(ConfigError, match=r"TRAIN.EVAL_METRICS \['topk', 'zz_val_loss'\] returns \['loss'\]"):
        split_metrics(cfg, inp)
    cfg = load_config(None, ["TRAIN.EVAL_METRICS", "['topk', 'topk']"])
    with pytest.raises(ConfigError, match="'top1', which an earlier metric of TRAIN.EVAL_METRICS"):
        split_metrics(cfg, inp)
