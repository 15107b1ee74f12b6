"""torchrun (env:// rendezvous) with 2 CPU processes trains to the weights of the 1-process run."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import engine_toy
import torch

from svit.checkpoint import read_checkpoint
from svit.config import load_config
from svit.engine.launch import launch_job
from svit.run_folder import checkpoint_path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
OPTS = {"SOLVER.MAX_EPOCH": 2, "TEST.BATCH_SIZE": 6, "TRAIN.EVAL_PERIOD": 0}


def _torchrun(tmp_path, out: str, opts: dict) -> subprocess.CompletedProcess:
    """Runs the toy job with ``opts`` under ``torch.distributed.run`` (2 CPU processes) into ``out``."""
    script = tmp_path / "entry.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        sys.path[:0] = [{str(REPO)!r}, {str(HERE)!r}]
        import engine_toy
        from svit.config import load_config
        from svit.engine.launch import launch_job
        cfg = load_config(None, engine_toy.toy_opts(sys.argv[1], **{opts!r}))
        launch_job(cfg, func=engine_toy.run_toy)
    """))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(k, None)
    return subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", str(script), out],
        env=env, capture_output=True, text=True, timeout=240,
    )


def test_torchrun_two_processes_match_one_process(tmp_path):
    single = str(tmp_path / "single")
    launch_job(load_config(None, engine_toy.toy_opts(single, **OPTS)), func=engine_toy.run_toy)

    multi = str(tmp_path / "torchrun")
    proc = _torchrun(tmp_path, multi, OPTS)
    assert proc.returncode == 0, proc.stderr[-3000:]
    a = read_checkpoint(checkpoint_path(single, 2))["model_state"]
    b = read_checkpoint(checkpoint_path(multi, 2))["model_state"]
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6)
    r1 = json.load(open(os.path.join(single, "test_results.json")))
    r2 = json.load(open(os.path.join(multi, "test_results.json")))
    assert r2["num_views"] == r1["num_views"] and abs(r1["top1"] - r2["top1"]) < 1e-6
    # Only rank 0 wrote: one epoch record per epoch, describing the global batch (all ranks).
    stats = [json.loads(x) for x in open(os.path.join(multi, "stats.jsonl"))]
    multi_epochs = [s for s in stats if s["_type"] == "train_epoch"]
    single_epochs = [s for s in map(json.loads, open(os.path.join(single, "stats.jsonl")))
                     if s["_type"] == "train_epoch"]
    assert [s["epoch"] for s in multi_epochs] == [1, 2]
    for s1, s2 in zip(single_epochs, multi_epochs):
        assert abs(s1["loss"] - s2["loss"]) < 1e-5 and abs(s1["top1"] - s2["top1"]) < 1e-6


def test_torchrun_non_finite_loss_on_one_rank_stops_every_rank(tmp_path):
    """The non-finite flag is summed over ranks with the step's numbers (read one step late), so a NaN on
    rank 1 alone stops both ranks at the same step with the same error: no rank is left waiting in a
    collective, and the last checkpoint stays intact."""
    opts = {**OPTS, "MODEL.MODEL_NAME": "TinyNaNRank1", "TEST.ENABLE": False, "TRAIN.MAX_STEPS_PER_EPOCH": 2}
    out = str(tmp_path / "nan")
    proc = _torchrun(tmp_path, out, opts)
    assert proc.returncode != 0
    log = proc.stdout + proc.stderr
    # both ranks raise the same error at the same step
    assert log.count("NonFiniteLossError: Non-finite loss at epoch 2, step 1 on 1 rank(s)") == 2, log[-3000:]
    weights = read_checkpoint(checkpoint_path(out, 1))["model_state"]
    assert all(torch.isfinite(v).all() for v in weights.values())
