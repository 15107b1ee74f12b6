"""A 2-process gloo DDP run equals the 1-process run with the same global batch."""
from __future__ import annotations

import json
import os
import socket

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


def test_spawned_runs_default_to_a_free_local_port_not_9999(tmp_path):
    """Two CPU runs started side by side must not meet on one fixed port: with 9999 taken by another
    listener, a 2-process run without ``init_method`` still rendezvous (on a port the OS picked)."""
    from svit.engine.launch import SHARED_INIT_METHOD, default_init_method

    single = load_config(None, engine_toy.toy_opts(str(tmp_path / "a"), NUM_CPU_PROCS=2))
    first, second = default_init_method(single), default_init_method(single)
    assert first.startswith("tcp://127.0.0.1:") and first != SHARED_INIT_METHOD
    assert int(first.rsplit(":", 1)[1]) != 9999 and first != second
    multi = load_config(None, engine_toy.toy_opts(str(tmp_path / "b"), NUM_SHARDS=2))
    assert default_init_method(multi) == SHARED_INIT_METHOD  # all machines must agree on it
    blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            blocker.bind(("127.0.0.1", 9999))
            blocker.listen(1)
        except OSError:
            pass  # something else holds 9999 already: the run below must still work
        out = str(tmp_path / "run")
        launch_job(load_config(None, engine_toy.toy_opts(out, NUM_CPU_PROCS=2)), func=engine_toy.run_toy)
    finally:
        blocker.close()
    assert os.path.isfile(os.path.join(out, "test_results.json"))


def test_an_unknown_init_method_is_a_config_error_before_any_process_starts(tmp_path):
    import pytest

    from svit.config import ConfigError

    cfg = load_config(None, engine_toy.toy_opts(str(tmp_path / "run"), NUM_CPU_PROCS=2))
    with pytest.raises(ConfigError, match="bogus://nowhere"):
        launch_job(cfg, init_method="bogus://nowhere", func=engine_toy.run_toy)
    assert not os.path.exists(os.path.join(tmp_path, "run", "stats.jsonl"))


def test_cpu_ranks_fork_on_linux_and_gpu_ranks_spawn(monkeypatch):
    """CPU ranks on Linux start by fork (they inherit the launcher's imports); a GPU layout, or another
    system, keeps spawn (CUDA and macOS frameworks are not fork-safe)."""
    from svit.engine import launch

    cfg = load_config(None)
    cfg.NUM_GPUS, cfg.NUM_CPU_PROCS = 0, 2
    monkeypatch.setattr(launch.sys, "platform", "linux")
    assert launch.start_method_for(cfg) == "fork"
    monkeypatch.setattr(launch.sys, "platform", "darwin")
    assert launch.start_method_for(cfg) == "spawn"
    monkeypatch.setattr(launch.sys, "platform", "linux")
    cfg.NUM_GPUS = 1
    assert launch.start_method_for(cfg) == "spawn"
