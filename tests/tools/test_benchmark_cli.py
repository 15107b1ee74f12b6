"""tools/benchmark.py model/bound: the JSON rows carry every field with sane values on CPU (no timing
assertions: only that the measured quantities exist, are positive and are consistent)."""
import json
import os
import sys
from pathlib import Path

import pytest
import torch

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tools"))

import benchmark  # noqa: E402

from svit.apps import bench_model  # noqa: E402

MICRO = ["MVIT.DEPTH", "3", "MVIT.EMBED_DIM", "16", "MVIT.DIM_MUL", "[[1, 2.0]]", "MVIT.HEAD_MUL", "[[1, 2.0]]",
         "MVIT.POOL_Q_STRIDE", "[[0, 1, 1, 1], [1, 1, 2, 2], [2, 1, 1, 1]]", "MVIT.POOL_KV_STRIDE_ADAPTIVE",
         "[1, 4, 4]", "DATA.NUM_FRAMES", "4", "DATA.TRAIN_CROP_SIZE", "32", "DATA.TEST_CROP_SIZE", "32",
         "MODEL.NUM_CLASSES", "5"]
FIELDS = {"model", "mode", "batch_size", "input", "amp", "compile", "attn_impl", "device", "device_name", "s_per_step",
          "s_per_step_median", "clips_per_s", "peak_mem_gb", "mfu", "gmacs_per_clip", "tflops_achieved",
          "kernels_per_step", "launch_calls_per_step", "aten_ops_per_step", "warmup_s", "peak_tflops"}


def test_model_json_rows_sweep_and_fields(tmp_path, capfd):
    out = tmp_path / "model.json"
    argv = ["model", "--cfg", os.path.join(REPO, "configs", "ssv2.yaml"), "--opts", *MICRO,
            "--batch-size", "1", "2", "--amp", "bf16", "--attn-impl", "sdpa", "explicit",
            "--iters", "1", "--warmup", "1", "--device", "cpu", "--peak-tflops", "2.0", "--json", str(out)]
    rows = benchmark.main(argv)
    assert json.load(open(out)) == rows
    # a CPU run does not start the (kineto) profiler, which probes for CUDA devices and prints
    # "ERROR: ... gpuGetDeviceCount failed with code 35" on a machine without a driver (fd 2, C++)
    err = capfd.readouterr().err
    assert "gpuGetDeviceCount" not in err and "profiler_start" not in err
    check_run_info(rows, argv)
    # 2 impls x 2 batch sizes x (train, eval)
    assert [(r["attn_impl"], r["batch_size"], r["mode"]) for r in rows] == [
        (i, b, m) for i in ("sdpa", "explicit") for b in (1, 2) for m in ("train", "eval")]
    for r in rows:
        assert FIELDS <= set(r), FIELDS - set(r)
        assert r["input"] == [r["batch_size"], 3, 4, 32, 32] and r["amp"] == "bf16" and r["compile"] is False
        assert r["s_per_step"] > 0 and r["clips_per_s"] == pytest.approx(r["batch_size"] / r["s_per_step"])
        assert r["s_per_step_min"] <= r["s_per_step_median"]
        assert r["peak_mem_gb"] is None and r["kernels_per_step"] is None  # CPU: no CUDA counters
        assert r["aten_ops_per_step"] > 10  # a real forward (+ backward) ran under the profiler
        # MFU = MACs x 2 (x 3 when training) x clips/s over the given peak
        mult = 6 if r["mode"] == "train" else 2
        assert r["gmacs_per_clip"] > 0
        assert r["mfu"] == pytest.approx(r["gmacs_per_clip"] * mult * r["clips_per_s"] / 1e3 / 2.0)
    train = [r for r in rows if r["mode"] == "train"]
    evals = [r for r in rows if r["mode"] == "eval"]
    assert all(t["aten_ops_per_step"] > e["aten_ops_per_step"] for t, e in zip(train, evals))  # backward + AdamW


def check_run_info(rows: list[dict], argv: list[str]) -> None:
    """Every row says where and how it was measured (issue 23 item 4), with this machine's values."""
    import shlex
    import subprocess

    from svit.utils.run_info import cpu_model

    def is_our_commit(commit: str) -> bool:  # HEAD when the run started (others may commit meanwhile)
        return len(commit) == 40 and subprocess.run(["git", "merge-base", "--is-ancestor", commit, "HEAD"],
                                                    cwd=REPO, capture_output=True).returncode == 0

    for r in rows:
        assert r["device_name"] == cpu_model() != "cpu" and r["cpu_model"] == cpu_model() and r["gpu_name"] is None
        assert r["torch"] == torch.__version__ and r["cuda"] == torch.version.cuda
        assert is_our_commit(r["git_commit"]) and isinstance(r["git_dirty"], bool)
        assert r["command"].endswith(shlex.join(["tools/benchmark.py", *argv]))
        assert len(r["loadavg"]) == 3 and all(x >= 0 for x in r["loadavg"])


def test_run_info_fields_are_this_runs(monkeypatch):
    from svit.utils import run_info

    monkeypatch.setattr(run_info.os, "getloadavg", lambda: (3.14159, 2.0, 1.0))
    before = run_info.git_state(REPO)[0]
    info = run_info.run_info("cpu", ["tools/benchmark.py", "data", "--workers", "0"])
    after = run_info.git_state(REPO)[0]
    assert info["loadavg"] == [3.14, 2.0, 1.0]
    assert info["command"].endswith("tools/benchmark.py data --workers 0")
    assert info["gpu_name"] is None and info["device_name"] == info["cpu_model"]
    assert len(info["git_commit"]) == 40 and info["git_commit"] in (before, after)  # others may commit meanwhile
    assert run_info.git_state(Path("/")) == (None, None)  # outside a checkout: unknown, not an error


def test_peak_lookup_known_gpus():
    assert bench_model.lookup_peak_tflops("NVIDIA H100 80GB HBM3", "bf16") == pytest.approx(989.4)
    assert bench_model.lookup_peak_tflops("NVIDIA H100 PCIe", "fp16") == pytest.approx(756.0)
    assert bench_model.lookup_peak_tflops("NVIDIA H200", "bf16") == pytest.approx(989.4)
    assert bench_model.lookup_peak_tflops("NVIDIA A100-SXM4-80GB", "bf16") == pytest.approx(312.0)
    assert bench_model.lookup_peak_tflops("NVIDIA GeForce GTX 1080", "bf16") is None


def test_time_steps_counts_every_call():
    calls = []
    res = bench_model.time_steps(lambda: calls.append(1), warmup=2, iters=3, device=torch.device("cpu"))
    assert len(calls) == 5 and res["s_per_step"] >= 0 and res["warmup_s"] >= 0
    with pytest.raises(ValueError, match="iters"):
        bench_model.time_steps(lambda: None, warmup=0, iters=0, device=torch.device("cpu"))


@pytest.fixture(scope="module")
def synth_root(tmp_path_factory):
    from svit.data.synthetic.generate import generate_synthetic_ssv2

    root = tmp_path_factory.mktemp("synth") / "ds"
    generate_synthetic_ssv2(str(root), num_videos=12, seed=1, num_frames=8, size=40, workers=1, progress=False)
    return root


# No data worker can reach this: every clip is at least read and decoded, i.e. far more than a
# femtosecond. The verdict of the end-to-end test below so depends on no machine's speed or load.
UNREACHABLE_CLIPS_PER_S = 1e15


def test_bound_report_uses_model_json(tmp_path, synth_root):
    model_json = tmp_path / "gpu.json"
    model_json.write_text(json.dumps([{"model": "SViT", "mode": "train", "clips_per_s": UNREACHABLE_CLIPS_PER_S},
                                      {"model": "SViT", "mode": "eval", "clips_per_s": 5.0}]))
    rows = benchmark.main(["bound", "--cfg", os.path.join(REPO, "configs", "ssv2.yaml"), "--workers-per-gpu", "1", "4",
                           "--model-json", str(model_json), "--batches", "1", "--batch-size", "1",
                           "--synthetic-dir", str(synth_root), "--opts", *MICRO,
                           "--json", str(tmp_path / "bound.json")])
    assert [r["workers_per_gpu"] for r in rows] == [1, 4]
    assert all(r["git_commit"] and r["loadavg"] is not None and r["device_name"] for r in rows)
    per = rows[0]["data_clips_per_s_per_worker"]
    assert per > 0 and rows[1]["data_clips_per_s"] == pytest.approx(4 * per)
    # the train rate is taken from the file (not the eval row, not measured here)
    assert all(r["model_train_clips_per_s"] == UNREACHABLE_CLIPS_PER_S and r["model_rate_from"] == str(model_json)
               for r in rows)
    assert all(r["loader_bound"] for r in rows)
    assert rows[0]["workers_needed"] >= UNREACHABLE_CLIPS_PER_S / per


@pytest.mark.parametrize("model_rate,expected", [(1000.0, {1: True, 3: True, 4: False}),
                                                 (299.0, {1: False, 3: False, 4: False}),
                                                 (1200.0, {1: True, 3: True, 4: False})])
def test_bound_verdict_from_fed_rates(tmp_path, monkeypatch, model_rate, expected):
    """The loader-bound arithmetic on a fed data rate (one worker at 300 clips/s): W workers are bound
    when W x 300 is below the model's rate (4 x 300 = 1200 is not below 1200)."""
    seen = []

    def fake_data_benchmark(args):
        seen.append((args.workers, args.backends, args.cfg))
        return [{"clips_per_s": 300.0}]

    monkeypatch.setattr(benchmark, "run_data_benchmark", fake_data_benchmark)
    model_json = tmp_path / "gpu.json"
    model_json.write_text(json.dumps({"rows": [{"model": "SViT", "mode": "train", "clips_per_s": model_rate / 2},
                                               {"model": "SViT", "mode": "train", "clips_per_s": model_rate}]}))
    cfg = os.path.join(REPO, "configs", "ssv2.yaml")
    rows = benchmark.main(["bound", "--cfg", cfg, "--workers-per-gpu", "1", "3", "4", "--model-json", str(model_json),
                           "--opts", *MICRO])
    assert seen == [([0], ["frames"], cfg)]  # one worker's rate, measured in this process
    assert {r["workers_per_gpu"]: r["loader_bound"] for r in rows} == expected
    assert all(r["model_train_clips_per_s"] == model_rate for r in rows)  # the best train row
    assert {r["workers_needed"] for r in rows} == {-(-int(model_rate) // 300)}
