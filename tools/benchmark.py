#!/usr/bin/env python
"""Throughput benchmarks.

Subcommands:
* ``data``: clips/s of the SSv2 training pipeline (default 16 frames, 224x224 crops, RandAugment +
  random erasing, boxes) through ``svit.data.build_loader``, for each --workers count and each
  --backends entry (frames = JPEG folders, pyav = webm). Data: --data-dir (an SSv2-layout folder),
  or a synthetic dataset generated at --size pixels into --synthetic-dir (reused when complete).
* ``model``: model forward/backward speed (``svit.utils.bench_model.run_model_benchmark``).

Example: python tools/benchmark.py data --workers 0 2 --backends frames pyav --batches 12
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
            generate_synthetic_ssv2(root, args.num_videos, seed=0, num_frames=args.video_frames, size=args.size, workers=2)
        cfg.DATA.PATH_TO_DATA_DIR = cfg.DATA.PATH_PREFIX = root
    if not args.cfg:  # the SViT training recipe (spec svit.md §6.5)
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
            t = time.perf_counter()
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
            row = {"backend": backend, "workers": workers, "clips": clips, "seconds": round(dt, 3),
                   "clips_per_s": round(clips / dt, 3), "first_batch_s": round(first, 3),
                   # decoding processes: the workers, or the main process with 0 workers
                   "clips_per_s_per_core": round(clips / dt / max(1, workers), 3),
                   "input": list(batch["inputs"].shape[1:]), "boxes": list(batch["boxes"].shape[1:]),
                   "torch_threads": torch.get_num_threads(), "data_dir": cfg.DATA.PATH_TO_DATA_DIR}
            rows.append(row)
            print(f"{backend:<7} workers={workers:<3} {row['clips_per_s']:8.2f} clips/s  ({clips} clips in {dt:.1f} s, "
                  f"first batch {first:.1f} s, input {row['input']})", flush=True)
            del it, loader
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return rows


def run_model(args):
    from svit.utils.bench_model import run_model_benchmark

    return run_model_benchmark(args)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("data", help="data pipeline clips/s")
    d.add_argument("--cfg", default=None, help="config yaml (default: the SViT SSv2 training pipeline)")
    d.add_argument("--opts", nargs="*", default=[], help="KEY VALUE overrides")
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
    d.add_argument("--batch-size", type=int, default=4)
    d.add_argument("--batches", type=int, default=12, help="timed batches (from loader start)")
    d.add_argument("--json", default="", help="write the result rows to this JSON file")
    d.set_defaults(fn=run_data_benchmark)
    m = sub.add_parser("model", help="model forward/backward speed")
    m.add_argument("--cfg", required=True)
    m.add_argument("--opts", nargs="*", default=[])
    m.add_argument("--batch-size", type=int, default=1)
    m.add_argument("--iters", type=int, default=3)
    m.add_argument("--warmup", type=int, default=2)
    m.add_argument("--attn-impl", nargs="+", default=["explicit", "sdpa"], choices=("explicit", "sdpa"))
    m.add_argument("--json", nargs="?", const=True, default=False, help="print JSON (or write it to the given path)")
    m.set_defaults(fn=run_model)
    return p


def main(argv: list[str] | None = None):
    args = build_parser().parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    main(sys.argv[1:])
