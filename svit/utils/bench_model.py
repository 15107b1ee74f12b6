"""CPU/GPU throughput of a configured model: train step (forward + backward + SGD step) and eval
forward, in clips/s, for each attention implementation (``explicit`` / ``sdpa``).

Entry point ``run_model_benchmark(args)`` for ``tools/benchmark.py model --cfg FILE --opts ...
--batch-size 1 --iters N --warmup W --attn-impl explicit sdpa --json``. Timings on a shared
machine are approximate: compare the ratio of the two paths measured in the same run.
"""
from __future__ import annotations

import json
import time
from argparse import Namespace
from typing import Any

import torch
import torch.nn as nn

from svit.models import build_model


def _load_cfg(cfg_file: str, opts: list[str] | None):
    try:
        from svit.config import load_config

        return load_config(cfg_file, opts or [])
    except ImportError:  # engine config loader not available: plain fvcore merge
        from svit.config.defaults import get_cfg

        cfg = get_cfg()
        cfg.merge_from_file(cfg_file)
        cfg.merge_from_list(list(opts or []))
        return cfg


def _logits(out: Any) -> torch.Tensor:
    return out["logits"] if isinstance(out, dict) else out


def _time(fn, warmup: int, iters: int) -> float:
    """Mean seconds per call after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    start = time.perf_counter()
    for _ in range(iters):
        fn()
    return (time.perf_counter() - start) / max(iters, 1)


def benchmark_model(
    model: nn.Module, x: torch.Tensor, warmup: int, iters: int, train: bool = True
) -> dict[str, float]:
    """clips/s of a train step (if ``train``) and of an eval forward on batch ``x``."""
    result: dict[str, float] = {}
    batch = x.shape[0]
    if train:
        opt = torch.optim.SGD(model.parameters(), lr=1e-6)
        model.train()

        def step() -> None:
            opt.zero_grad(set_to_none=True)
            _logits(model(x)).float().square().mean().backward()
            opt.step()

        result["train_s_per_iter"] = _time(step, warmup, iters)
        result["train_clips_per_s"] = batch / result["train_s_per_iter"]
    model.eval()

    def forward() -> None:
        with torch.no_grad():
            model(x)

    result["eval_s_per_iter"] = _time(forward, warmup, iters)
    result["eval_clips_per_s"] = batch / result["eval_s_per_iter"]
    return result


def run_model_benchmark(args: Namespace) -> list[dict[str, Any]]:
    """Builds ``args.cfg`` (+ ``args.opts``) once per attention implementation, measures it, prints
    a table and (``args.json``: True prints, a path writes) JSON. Returns the result rows."""
    cfg = _load_cfg(args.cfg, getattr(args, "opts", None))
    impls = list(getattr(args, "attn_impl", None) or ["explicit", "sdpa"])
    batch = int(getattr(args, "batch_size", 1) or 1)
    iters = int(getattr(args, "iters", 3))
    warmup = int(getattr(args, "warmup", 2))
    train = not getattr(args, "eval_only", False)
    device = torch.device(getattr(args, "device", None) or ("cuda" if torch.cuda.is_available() else "cpu"))
    crop = cfg.DATA.TEST_CROP_SIZE
    x = torch.randn(batch, cfg.DATA.INPUT_CHANNEL_NUM[0], cfg.DATA.NUM_FRAMES, crop, crop, device=device)
    torch.manual_seed(0)
    model = build_model(cfg).to(device)
    n_params = sum(p.numel() for p in model.parameters())
    rows = []
    for impl in impls:
        if not hasattr(model, "set_attn_impl"):
            raise ValueError(f"{cfg.MODEL.MODEL_NAME} has no attention implementation switch")
        model.set_attn_impl(impl)
        res = benchmark_model(model, x, warmup, iters, train=train)
        rows.append({
            "model": cfg.MODEL.MODEL_NAME, "attn_impl": impl, "batch_size": batch,
            "input": list(x.shape), "params": n_params, "device": str(device),
            "threads": torch.get_num_threads(), "warmup": warmup, "iters": iters, **res,
        })
    header = f"{'attn':<9}{'train clips/s':>15}{'train s/it':>12}{'eval clips/s':>15}{'eval s/it':>11}"
    print(f"{cfg.MODEL.MODEL_NAME} input {tuple(x.shape)} on {device}, {n_params:,} params")
    print(header)
    for r in rows:
        print(
            f"{r['attn_impl']:<9}{r.get('train_clips_per_s', float('nan')):>15.4f}"
            f"{r.get('train_s_per_iter', float('nan')):>12.2f}{r['eval_clips_per_s']:>15.4f}"
            f"{r['eval_s_per_iter']:>11.2f}"
        )
    out_json = getattr(args, "json", False)
    if out_json:
        text = json.dumps(rows, indent=2)
        if isinstance(out_json, str):
            with open(out_json, "w") as f:
                f.write(text + "\n")
        else:
            print(text)
    return rows
