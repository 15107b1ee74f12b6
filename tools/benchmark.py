#!/usr/bin/env python
"""Throughput benchmarks.

Subcommands:
* ``data``: clips/s of the SSv2 training pipeline (default 16 frames, 224x224 crops, RandAugment +
  random erasing, boxes) through ``svit.data.build_loader``, for each --workers count and each
  --backends entry (frames = JPEG folders, pyav = webm). Data: --data-dir (an SSv2-layout folder),
  or a synthetic dataset generated at --size pixels into --synthetic-dir (reused when complete).
* ``model``: training-step / evaluation clips/s, peak memory, MFU and kernel launches per step, over
  batch sizes, --amp off|bf16|fp16, with or without --compile (``svit.apps.bench_model``).
* ``bound``: for each family (config), whether training is loader-bound at W data workers per GPU:
  one worker's training-pipeline clips/s x W against the model's training clips/s (from a
  ``model --json`` file measured on the GPU, or measured here).

Examples: python tools/benchmark.py data --workers 0 2 --backends frames pyav --batches 12
          python tools/benchmark.py model --cfg configs/ssv2.yaml --amp bf16 --batch-size 8 16 32 --json out.json
          python tools/benchmark.py bound --cfg configs/ssv2.yaml configs/mvitv2_s_ssv2.yaml --model-json out.json

Every import of torch and svit sits inside the sub-command that needs it (import cost): ``--help`` took
2.8 s where ``import svit.apps.bench_model`` (torch and every model family) took 74 s on the loaded
2-core build machine, and ``data`` never builds a model.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time


def _data_cfg(args):
    from svit.config import load_config

    cfg = load_config(args.cfg, args.opts or [])
    cfg.defrost()
    if args.data_dir:
        cfg.DATA.PATH_TO_DATA_DIR = args.data_dir
        cfg.DATA.PATH_PREFIX = args.data_dir
    else:
        from svit.data.synthetic.generate import COMPLETE_MARKER, generate_synthetic_ssv2

        root = args.synthetic_dir or os.path.join(tempfile.gettempdir(), f"svit_bench_synth_{args.size}")
        if not os.path.exists(os.path.join(root, COMPLETE_MARKER)):
            generate_synthetic_ssv2(root, args.num_videos, seed=0, num_frames=args.video_frames, size=args.size,
                                    workers=2)
        cfg.DATA.PATH_TO_DATA_DIR = cfg.DATA.PATH_PREFIX = root
    if not args.cfg:  # the SViT training augmentation of configs/ssv2.yaml (github.com/eladb3/SViT)
        cfg.DATA.NUM_FRAMES = args.frames
        cfg.DATA.TRAIN_CROP_SIZE = args.crop
        cfg.DATA.TRAIN_JITTER_SCALES_RELATIVE = [0.08, 1.0]
        cfg.DATA.TRAIN_JITTER_ASPECT_RELATIVE = [0.75, 1.3333]
        cfg.AUG.ENABLE = True
        cfg.DATA.RANDOM_FLIP = False
    cfg.TRAIN.DATASET = "ssv2"
    cfg.TRAIN.BATCH_SIZE = args.batch_size
    return cfg


def run_data_benchmark(args) -> list[dict]:
    import torch

    from svit.data import build_loader

    rows = []
    for backend in args.backends:
        for workers in args.workers:
            cfg = _data_cfg(args)
            cfg.DATA.DECODING_BACKEND = backend
            cfg.DATA_LOADER.NUM_WORKERS = workers
            cfg.DATA_LOADER.PERSISTENT_WORKERS = False
            cfg.DATA_LOADER.PIN_MEMORY = False
            loader = build_loader(cfg, "train")
            # Timed from the creation of the iterator (worker start-up included): timing only after a
            # warm-up batch would count the batches the workers prefetched meanwhile as free.
            t, cpu0 = time.perf_counter(), time.process_time()
            it = iter(loader)
            batch = next(it)
            first = time.perf_counter() - t
            clips = batch["inputs"].shape[0]
            for _ in range(args.batches - 1):
                try:
                    batch = next(it)
                except StopIteration:
                    it = iter(loader)
                    batch = next(it)
                clips += batch["inputs"].shape[0]
            dt = time.perf_counter() - t
            cpu = time.process_time() - cpu0  # this process's CPU (all its threads): the pipeline's with 0 workers
            row = {"backend": backend, "workers": workers, "clips": clips, "seconds": round(dt, 3),
                   "clips_per_s": round(clips / dt, 3), "first_batch_s": round(first, 3),
                   # decoding processes: the workers, or the main process with 0 workers
                   "clips_per_s_per_core": round(clips / dt / max(1, workers), 3),
                   # per CPU-second, immune to other load on the machine (0 workers only)
                   "clips_per_cpu_s": round(clips / cpu, 3) if workers == 0 and cpu > 0 else None,
                   "input": list(batch["inputs"].shape[1:]), "boxes": list(batch["boxes"].shape[1:]),
                   "torch_threads": torch.get_num_threads(), "data_dir": cfg.DATA.PATH_TO_DATA_DIR}
            rows.append(row)
            per_cpu = f", {row['clips_per_cpu_s']:.2f} per CPU-s" if row["clips_per_cpu_s"] else ""
            print(f"{backend:<7} workers={workers:<3} {row['clips_per_s']:8.2f} clips/s{per_cpu}  ({clips} clips in "
                  f"{dt:.1f} s, first batch {first:.1f} s, input {row['input']})", flush=True)
            del it, loader
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return rows


def run_model(args):
    from svit.apps.bench_model import run_model_benchmark

    return run_model_benchmark(args)


def _best_train_rate(rows: list[dict], model_name: str) -> float | None:
    rates = [r["clips_per_s"] for r in rows
             if r.get("model") == model_name and r.get("mode") == "train" and "error" not in r]
    return max(rates) if rates else None


def run_bound(args) -> list[dict]:
    """For each config (family): training-pipeline clips/s of ONE data worker (measured in this process
    with one torch thread, i.e. one CPU core) against the model's training clips/s per GPU. W workers
    are assumed to scale linearly (W x one worker), which is optimistic; a family is loader-bound at W
    when that rate is below the model's. ``workers_needed`` = model rate / one worker's rate, rounded up."""
    import math

    import torch

    from svit.config import load_config

    model_rows = json.load(open(args.model_json)) if args.model_json else []
    if isinstance(model_rows, dict):  # tools/speed_vs_original.py writes {"rows": [...], ...}
        model_rows = model_rows.get("rows", [])
    threads = torch.get_num_threads()
    rows = []
    for cfg_file in args.cfg:
        name = load_config(cfg_file, args.opts).MODEL.MODEL_NAME
        data_args = build_parser().parse_args(
            ["data", "--cfg", cfg_file, "--workers", "0", "--backends", args.backend, "--batches", str(args.batches),
             "--batch-size", str(args.batch_size), "--size", str(args.size), "--num-videos", str(args.num_videos),
             "--video-frames", str(args.video_frames)]
            + (["--synthetic-dir", args.synthetic_dir] if args.synthetic_dir else []) + ["--opts", *args.opts])
        torch.set_num_threads(1)
        try:
            per_worker = run_data_benchmark(data_args)[0]["clips_per_s"]
        finally:
            torch.set_num_threads(threads)
        rate = _best_train_rate(model_rows, name)
        source = args.model_json
        if rate is None:
            from svit.apps.bench_model import run_model_benchmark

            m_args = build_parser().parse_args(["model", "--cfg", cfg_file, "--batch-size", str(args.batch_size),
                                                "--modes", "train", "--amp", args.amp, "--no-flops", "--no-profile",
                                                "--iters", "2", "--warmup", "1", "--opts", *args.opts])
            rate = _best_train_rate(run_model_benchmark(m_args), name)
            source = "measured here"
        for w in args.workers_per_gpu:
            rows.append({"cfg": cfg_file, "model": name, "data_clips_per_s_per_worker": per_worker,
                         "model_train_clips_per_s": rate, "model_rate_from": source, "workers_per_gpu": w,
                         "data_clips_per_s": per_worker * w, "loader_bound": per_worker * w < rate,
                         "workers_needed": math.ceil(rate / per_worker)})
    print(f"{'model':<22}{'W':>4}{'data clips/s':>14}{'model clips/s':>15}  loader-bound  (workers needed)")
    for r in rows:
        print(f"{r['model']:<22}{r['workers_per_gpu']:>4}{r['data_clips_per_s']:>14.2f}{r['model_train_clips_per_s']:>15.2f}"
              f"  {'YES' if r['loader_bound'] else 'no ':<12}  ({r['workers_needed']})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return rows


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("data", help="data pipeline clips/s")
    d.add_argument("--cfg", default=None, help="config yaml (default: the SViT SSv2 training pipeline)")
    d.add_argument("--opts", nargs="*", default=[], help="KEY VALUE config overrides (also positional)")
    d.add_argument("--workers", type=int, nargs="+", default=[0, 2], help="DataLoader worker counts to measure")
    d.add_argument("--backends", nargs="+", default=["frames", "pyav"],
                   choices=("frames", "pyav", "torchcodec", "decord"),
                   help="decoding backends to compare (torchcodec/decord when installed; videos = the webm files)")
    d.add_argument("--data-dir", default="", help="SSv2-layout folder; empty = generated synthetic data")
    d.add_argument("--synthetic-dir", default="", help="where to generate/reuse the synthetic data")
    d.add_argument("--num-videos", type=int, default=48, help="synthetic videos to generate")
    d.add_argument("--video-frames", type=int, default=32, help="frames per synthetic video")
    d.add_argument("--size", type=int, default=240, help="synthetic frame side (pixels)")
    d.add_argument("--frames", type=int, default=16, help="DATA.NUM_FRAMES")
    d.add_argument("--crop", type=int, default=224, help="DATA.TRAIN_CROP_SIZE")
    d.add_argument("--batch-size", type=int, default=4, help="TRAIN.BATCH_SIZE of the measured loader")
    d.add_argument("--batches", type=int, default=12, help="timed batches (from loader start)")
    _common(d)
    d.set_defaults(fn=run_data_benchmark)
    m = sub.add_parser("model", help="model training-step / evaluation speed, memory, MFU, kernel launches")
    m.add_argument("--cfg", required=True, help="config yaml of the model")
    m.add_argument("--opts", nargs="*", default=[], help="KEY VALUE config overrides (also positional)")
    m.add_argument("--batch-size", type=int, nargs="+", default=[1], help="one or more batch sizes (a sweep)")
    m.add_argument("--modes", nargs="+", default=["train", "eval"], choices=("train", "eval"),
                   help="training steps (forward + backward + optimiser) and/or evaluation forwards")
    m.add_argument("--amp", default="off", choices=("off", "bf16", "fp16"), help="autocast dtype")
    m.add_argument("--compile", action="store_true", help="torch.compile the model (compiled during warm-up)")
    m.add_argument("--compile-mode", default="default", help="torch.compile mode (e.g. reduce-overhead = CUDA graphs)")
    m.add_argument("--cuda-graphs", action="store_true",
                   help="evaluation rows replay a CUDA graph of the forward (TEST.CUDA_GRAPHS; CUDA only)")
    m.add_argument("--iters", type=int, default=3, help="timed steps per row")
    m.add_argument("--warmup", type=int, default=2, help="untimed steps first (autotuning, compilation)")
    m.add_argument("--attn-impl", nargs="+", default=None, choices=("explicit", "sdpa", "sdpa_mask", "flex"),
                   help="attention implementations to compare (default: the config's MODEL.ATTN_IMPL)")
    m.add_argument("--peak-tflops", type=float, default=None,
                   help="device peak for MFU (default: looked up for H100/H200/A100, else no MFU)")
    m.add_argument("--device", default=None, help="cuda, cuda:1 or cpu (default: cuda when available)")
    m.add_argument("--cudnn-benchmark", action="store_true", help="torch.backends.cudnn.benchmark = True")
    m.add_argument("--no-flops", action="store_true", help="skip the fvcore count (no MFU)")
    m.add_argument("--no-profile", action="store_true", help="skip the profiled step (no launch counts)")
    _common(m)
    m.set_defaults(fn=run_model)
    b = sub.add_parser("bound", help="per family: is training loader-bound at W data workers per GPU?")
    b.add_argument("--cfg", nargs="+", required=True, help="one training config per family")
    b.add_argument("--opts", nargs="*", default=[], help="KEY VALUE overrides applied to every config")
    b.add_argument("--workers-per-gpu", type=int, nargs="+", default=[4, 8, 12],
                   help="data workers per GPU to assess (W)")
    b.add_argument("--model-json", default="", help="rows of `benchmark.py model --json` or of "
                   "`speed_vs_original.py --json` (e.g. from the GPU); "
                   "the best train clips/s of each model is used. Default: measure here (batch --batch-size)")
    b.add_argument("--amp", default="off", choices=("off", "bf16", "fp16"), help="autocast of a model measured here")
    b.add_argument("--backend", default="frames", choices=("frames", "pyav"), help="decoding backend of the data")
    b.add_argument("--batches", type=int, default=4, help="data batches timed per family")
    b.add_argument("--batch-size", type=int, default=2, help="data and (measured here) model batch size")
    b.add_argument("--synthetic-dir", default="", help="where to generate/reuse the synthetic data")
    b.add_argument("--size", type=int, default=240, help="synthetic frame side (pixels)")
    b.add_argument("--num-videos", type=int, default=48, help="synthetic videos to generate")
    b.add_argument("--video-frames", type=int, default=32, help="frames per synthetic video")
    _common(b)
    b.set_defaults(fn=run_bound)
    return p


def _common(p: argparse.ArgumentParser) -> None:
    """The tools/ conventions (docs/TOOLS.md): positional overrides and ``--json [PATH]``."""
    from svit.utils.cli import add_json_arg

    add_json_arg(p, "the result rows")
    p.add_argument("overrides", nargs="*", metavar="KEY VALUE", help="config overrides, e.g. DATA.NUM_FRAMES 8")


def main(argv: list[str] | None = None):
    from contextlib import nullcontext, redirect_stdout

    from svit.utils.cli import json_to_stdout, parse_known, write_json

    # KEY VALUE pairs are taken out of the line first: "--cfg a.yaml b.yaml KEY VALUE" and
    # "--modes eval KEY VALUE --json" keep their lists and options (svit.utils.cli.split_overrides).
    args = parse_known(build_parser(), argv)
    dest, args.json = args.json, None  # the rows are written here, once, by the convention
    info = _run_info(args, argv)  # before the run: the load average is the one the run started under
    with redirect_stdout(sys.stderr) if json_to_stdout(argparse.Namespace(json=dest)) else nullcontext():
        rows = args.fn(args)
    rows = [{**info, **row} for row in rows]  # a row's own fields (e.g. the model's device) win
    write_json(rows, dest)
    return rows


def _run_info(args, argv: list[str] | None) -> dict:
    """Device, versions, commit, command line and host load of this run (``svit.utils.run_info``):
    the device measured is the model's for ``model``, this host's CPU for ``data`` and ``bound``."""
    import torch

    from svit.utils.run_info import run_info

    device = "cpu"
    if args.cmd == "model":
        device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    return run_info(device, ["tools/benchmark.py", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main(sys.argv[1:])
