"""A 2-process gloo DDP run equals the 1-process run with the same global batch."""
from __future__ import annotations

import json
import os

import engine_toy
import torch

from svit.checkpoint import read_checkpoint
from svit.config import load_config
from svit.engine.launch import launch_job
from svit.run_folder import checkpoint_path


def test_two_process_gloo_matches_single_process(tmp_path):
    results = {}
    for procs in (1, 2):
        out = str(tmp_path / f"p{procs}")
        opts = engine_toy.toy_opts(out, NUM_CPU_PROCS=procs, **{"SOLVER.MAX_EPOCH": 2, "TEST.BATCH_SIZE": 6})
        cfg = load_config(None, opts)
        launch_job(cfg, init_method=f"file://{tmp_path}/rdzv{procs}", func=engine_toy.run_toy)
        results[procs] = out
    w1 = read_checkpoint(checkpoint_path(results[1], 2))["model_state"]
    w2 = read_checkpoint(checkpoint_path(results[2], 2))["model_state"]
    for k in w1:
        torch.testing.assert_close(w1[k], w2[k], rtol=1e-5, atol=1e-6)
    r1 = json.load(open(os.path.join(results[1], "test_results.json")))
    r2 = json.load(open(os.path.join(results[2], "test_results.json")))
    for key in ("top1", "top5", "mean_class_accuracy", "num_videos", "num_views"):
        assert abs(r1[key] - r2[key]) < 1e-6, key
    # written once: one train/val record per epoch, no leftover temp files
    stats = [json.loads(line) for line in open(os.path.join(results[2], "stats.jsonl"))]
    assert [s["epoch"] for s in stats if s["_type"] == "train_epoch"] == [1, 2]
    vals1 = [s for s in map(json.loads, open(os.path.join(results[1], "stats.jsonl"))) if s["_type"] == "val_epoch"]
    vals2 = [s for s in stats if s["_type"] == "val_epoch"]
    assert [v["num_samples"] for v in vals2] == [12, 12]
    for a, b in zip(vals1, vals2):
        assert abs(a["loss"] - b["loss"]) < 1e-5 and a["top1"] == b["top1"]
    assert not [n for n in os.listdir(results[2]) if n.endswith(".tmp")]
