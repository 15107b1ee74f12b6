#!/usr/bin/env python
"""SViT/MViTv2 speed side by side with the original code (github.com/eladb3/SViT), in one process.

The original is built from its own source tree (``--original-root``: a checkout of eladb3/SViT, whose
``slowfast`` package and ``configs/ssv2.yaml`` are used) with the same ``KEY VALUE`` overrides as ours
(the config keys are PySlowFast's in both). Each variant is measured with the same timing code as
``tools/benchmark.py model`` (``svit.apps.bench_model.benchmark_one``: warm-up, CUDA events, peak
memory, kernel launches), so ratios come from one run on one device:

* ``original-fp16`` / ``original-bf16``: the original model under autocast (its recipe trains in fp16);
  ``-fp32`` variants (original, today, ours) run without autocast (the CPU comparison);
* ``today-bf16``: ours with the paths of before the speed work (SDPA with the materialised rel-pos
  mask, ``nn.Conv3d`` pooling convs on cuDNN);
* ``ours-bf16`` / ``ours-fp16``: ours as configured (fused rel-pos SDPA, fast pooling convs);
* ``ours-bf16-compile``: the same under ``torch.compile`` (whole model); ``ours-bf16-compile-blocks``:
  each transformer block compiled alone (blocks of one shape share the compiled code: compiles fast);
* ``ours-bf16-graphs``: evaluation replayed from a CUDA graph (``TEST.CUDA_GRAPHS``; its output is
  first compared with the eager one); training through ``torch.cuda.make_graphed_callables``
  (forward and backward graphs; an experiment, reported as an error row if capture fails).

Before timing, ``--check`` loads the original's random weights into ours (the ``slowfast`` adapter,
strict) and compares fp32 eval outputs on the device (TF32 off): the speed is of the same function.
``--conv-micro`` also times each pooling-conv shape of the model alone (cuDNN, native, cuDNN with
channels-last-3d), forward + backward.

Example (GPU): python tools/speed_vs_original.py --original-root ../SViT --batch-size 8 16 32 --json out.json
"""
from __future__ import annotations

import argparse
import importlib
import importlib.machinery
import json
import os
import sys
import tempfile
import time
import types
from collections import Counter
from typing import Any

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

VARIANTS = ("original-fp16", "original-bf16", "original-fp32", "today-bf16", "today-fp32", "ours-bf16", "ours-fp16",
            "ours-fp32", "ours-bf16-compile", "ours-bf16-compile-blocks", "ours-bf16-graphs")
# Modules the original imports at package level but no model code needs (data tools, visualisation).
_OPTIONAL = ("ffmpeg", "psutil", "pandas", "pytorchvideo", "imgaug", "imgaug.augmenters", "imgaug.augmentables",
             "imgaug.augmentables.bbs", "imgaug.augmentables.kps", "torchvision.transforms.functional_tensor", "av",
             "simplejson", "cv2", "moviepy", "moviepy.editor", "sklearn", "sklearn.metrics")


class _Placeholder(types.ModuleType):
    """Stands in for an optional module the environment lacks; any use beyond import fails loudly."""

    def __getattr__(self, key):
        if key.startswith("__"):
            raise AttributeError(key)
        return _Placeholder(f"{self.__name__}.{key}")

    def __call__(self, *a, **k):
        raise RuntimeError(f"{self.__name__} is not installed (placeholder for the original's imports)")


def _placeholders() -> list[str]:
    missing = []
    for name in _OPTIONAL:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - any import failure: the model code does not need it
            mod = _Placeholder(name)
            mod.__spec__ = importlib.machinery.ModuleSpec(name, None)
            mod.__path__ = []
            sys.modules[name] = mod
            missing.append(name)
    return missing


class OriginalLogits(nn.Module):
    """The original model called as ours is: ``forward(x) -> logits``. The original takes a list of
    pathways and returns, depending on mode, a tensor, a tuple or a dict; the class scores are the
    2-D tensor (softmax probabilities in eval, as the original applies softmax there)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.model([x])
        if torch.is_tensor(out):
            return out
        items = out.values() if isinstance(out, dict) else out
        for o in items:
            if torch.is_tensor(o) and o.dim() == 2:
                return o
        raise TypeError(f"cannot find the class scores in the original's output {type(out)}")


def build_original(root: str, opts: list[str]) -> nn.Module:
    root = os.path.abspath(root)
    if not os.path.isfile(os.path.join(root, "slowfast", "models", "video_model_builder.py")):
        raise FileNotFoundError(f"--original-root {root}: no slowfast/models/video_model_builder.py (an eladb3/SViT "
                                "checkout is expected)")
    missing = _placeholders()
    if missing:
        print(f"original: placeholders for missing optional imports {missing}")
    sys.path.insert(0, root)
    from slowfast.config.defaults import get_cfg
    from slowfast.models import build_model as build_original_model

    cfg = get_cfg()
    cfg.merge_from_file(os.path.join(root, "configs", "ssv2.yaml"))
    cfg.merge_from_list(list(opts))
    cfg.NUM_GPUS = 0  # built on the CPU, moved by the caller
    torch.manual_seed(0)
    return OriginalLogits(build_original_model(cfg))


def build_ours(cfg_file: str, opts: list[str]):
    from svit.config import load_config
    from svit.engine.compile import apply_model_speed_options
    from svit.models import build_model

    cfg = load_config(cfg_file, list(opts))
    torch.manual_seed(0)
    return cfg, apply_model_speed_options(cfg, build_model(cfg))


def check_equal(original: nn.Module, ours: nn.Module, cfg, device: torch.device) -> dict[str, float]:
    """Loads the original's weights into ours (strict, ``slowfast`` adapter) and compares fp32 eval
    outputs (softmax probabilities; TF32 off) on a random batch of two clips."""
    from svit.checkpoint import load_checkpoint

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "original.pyth")
        torch.save({"model_state": original.model.state_dict()}, path)
        load_checkpoint(path, ours, strict=True, checkpoint_type="slowfast")
    tf32 = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    try:
        x = torch.randn(2, 3, cfg.DATA.NUM_FRAMES, cfg.DATA.TEST_CROP_SIZE, cfg.DATA.TEST_CROP_SIZE,
                        generator=torch.Generator().manual_seed(3)).to(device)
        original.eval()
        ours.eval()
        with torch.no_grad():
            p_orig = original(x).float()
            out = ours(x)
            p_ours = (out["logits"] if isinstance(out, dict) else out).float().softmax(-1)
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = tf32
    diff = (p_orig - p_ours).abs().max().item()
    res = {"max_abs_prob_diff": diff, "max_prob": p_orig.max().item()}
    print(f"check: ours vs original, fp32 eval probabilities, max |diff| {diff:.2e}")
    return res


def conv_micro(model: nn.Module, cfg, batch: int, device: torch.device, iters: int = 10) -> list[dict[str, Any]]:
    """Forward + backward time of every distinct pooling-conv shape of ``model`` at ``batch`` in bf16,
    on cuDNN (NCDHW), cuDNN with channels-last-3d, and the native depthwise kernels (cuDNN off)."""
    from svit.models.layers.depthwise import DepthwiseConv3d
    from svit.models.layers.depthwise_conv3d import _no_cudnn, depthwise_conv3d

    shapes: Counter = Counter()

    def record(conv: nn.Module, inputs: tuple, output) -> None:
        shapes[(tuple(inputs[0].shape), tuple(conv.weight.shape), tuple(conv.stride), tuple(conv.padding))] += 1

    hooks = [m.register_forward_hook(record) for m in model.modules() if isinstance(m, DepthwiseConv3d)]
    model.eval()
    with torch.no_grad(), torch.autocast(device.type, dtype=torch.bfloat16):
        model(torch.randn(batch, 3, cfg.DATA.NUM_FRAMES, cfg.DATA.TRAIN_CROP_SIZE, cfg.DATA.TRAIN_CROP_SIZE,
                          device=device))
    for h in hooks:
        h.remove()
    rows = []
    for (xs, ws, st, pad), count in shapes.items():
        x = torch.randn(xs, device=device, dtype=torch.bfloat16)
        w = torch.randn(ws, device=device, dtype=torch.bfloat16)
        g = None

        def run(kind: str) -> None:
            nonlocal g
            xi = (x.contiguous(memory_format=torch.channels_last_3d) if kind == "cudnn_cl" else x).requires_grad_()
            wi = w.detach().requires_grad_()
            if kind == "native":
                y = depthwise_conv3d(xi, wi, None, list(st), list(pad), [1, 1, 1])
            else:
                with _no_cudnn(False):
                    y = torch.nn.functional.conv3d(xi, wi, None, st, pad, 1, ws[0])
            if g is None or g.shape != y.shape:
                g = torch.randn_like(y)
            y.backward(g.contiguous(memory_format=torch.channels_last_3d) if kind == "cudnn_cl" else g)

        row = {"input": list(xs), "weight": list(ws), "stride": list(st), "count_in_model": count}
        for kind in ("cudnn", "cudnn_cl", "native"):
            for _ in range(2):
                run(kind)
            torch.cuda.synchronize(device) if device.type == "cuda" else None
            t = time.perf_counter()
            for _ in range(iters):
                run(kind)
            torch.cuda.synchronize(device) if device.type == "cuda" else None
            row[f"{kind}_ms"] = round((time.perf_counter() - t) / iters * 1e3, 3)
        rows.append(row)
        print(f"conv {xs} stride {st} x{count}: " + "  ".join(f"{k} {row[k + '_ms']:.2f} ms"
                                                             for k in ("cudnn", "cudnn_cl", "native")))
    return rows


def top_kernels(fn, device: torch.device, n: int = 12) -> list[dict[str, Any]]:
    """The ``n`` device kernels (or CPU ops) with the most total time in one call of ``fn``."""
    from torch.profiler import ProfilerActivity, profile

    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    with profile(activities=acts) as prof:
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
    attr = "device_time_total" if device.type == "cuda" else "self_cpu_time_total"
    evts = sorted(prof.key_averages(), key=lambda e: getattr(e, attr, 0), reverse=True)
    on_device = [e for e in prof.key_averages()
                 if device.type != "cuda" or e.device_type == torch.autograd.DeviceType.CUDA]
    total = sum(getattr(e, attr, 0) for e in on_device)
    rows = []
    for e in evts:
        if device.type == "cuda" and e.device_type != torch.autograd.DeviceType.CUDA:
            continue
        rows.append({"name": e.key[:110], "ms": getattr(e, attr, 0) / 1e3, "calls": e.count,
                     "share": getattr(e, attr, 0) / max(total, 1)})
        if len(rows) == n:
            break
    return rows


class _AutocastForward(nn.Module):
    """``model(x)`` under autocast without its weight-cast cache (a requirement of CUDA graph capture)."""

    def __init__(self, model: nn.Module, dtype: torch.dtype) -> None:
        super().__init__()
        self.model, self.dtype = model, dtype

    def forward(self, x: torch.Tensor):
        with torch.autocast(x.device.type, dtype=self.dtype, cache_enabled=False):
            out = self.model(x)
        return out["logits"] if isinstance(out, dict) else out


def graphed_train_runner(model: nn.Module, cfg, batch: int, device: torch.device) -> nn.Module:
    """Forward and backward of ``model`` (train mode, bf16) captured by ``make_graphed_callables``."""
    model.train()
    x = torch.randn(batch, 3, cfg.DATA.NUM_FRAMES, cfg.DATA.TRAIN_CROP_SIZE, cfg.DATA.TRAIN_CROP_SIZE, device=device)
    # allow_unused_input: heads the logits do not use (SViT's box heads) get no gradient in this step
    return torch.cuda.make_graphed_callables(_AutocastForward(model, torch.bfloat16), (x,), num_warmup_iters=3,
                                             allow_unused_input=True)


def graphs_match(model: nn.Module, cfg, batch: int, device: torch.device) -> float:
    """max |graphed − eager| of the bf16 evaluation logits on one random batch."""
    from svit.engine.cuda_graphs import CudaGraphForward

    model.eval()
    x = torch.randn(batch, 3, cfg.DATA.NUM_FRAMES, cfg.DATA.TEST_CROP_SIZE, cfg.DATA.TEST_CROP_SIZE, device=device)
    graphed = CudaGraphForward(model, torch.bfloat16)
    with torch.no_grad():
        with torch.autocast(device.type, dtype=torch.bfloat16, cache_enabled=False):
            ref = model(x)
        got = graphed(x)
        x2 = torch.randn_like(x)  # a second input through the same graph
        got2 = graphed(x2)
        with torch.autocast(device.type, dtype=torch.bfloat16, cache_enabled=False):
            ref2 = model(x2)
    logits = [(o["logits"] if isinstance(o, dict) else o).float() for o in (ref, got, ref2, got2)]
    return max((logits[0] - logits[1]).abs().max().item(), (logits[2] - logits[3]).abs().max().item())


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    from svit.utils.cli import JSON_STDOUT, add_json_arg, parse_known, write_json

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--original-root", required=True, help="checkout of github.com/eladb3/SViT")
    p.add_argument("--cfg", default="configs/ssv2.yaml", help="our config of the same model")
    p.add_argument("--variants", nargs="+", default=["original-fp16", "original-bf16", "today-bf16", "ours-bf16"],
                   choices=VARIANTS, help="what to measure, in this order")
    p.add_argument("--batch-size", type=int, nargs="+", default=[8], help="batch sizes (a sweep)")
    p.add_argument("--modes", nargs="+", default=["train", "eval"], choices=("train", "eval"),
                   help="training steps and/or evaluation forwards")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps per row")
    p.add_argument("--iters", type=int, default=4, help="timed steps per row")
    p.add_argument("--no-check", action="store_true", help="skip the equal-output check")
    p.add_argument("--conv-micro", action="store_true", help="also time each pooling-conv shape alone")
    p.add_argument("--top-kernels", action="store_true", help="print the top kernels of ours-bf16 (train, eval)")
    p.add_argument("--profile-batch", type=int, default=8, help="batch of the launch-count / top-kernel profiles")
    p.add_argument("--device", default=None, help="cuda or cpu (default: cuda when available)")
    p.add_argument("--opts", nargs="*", default=[], help="KEY VALUE overrides of both configs (also positional)")
    add_json_arg(p, "the results (a PATH is rewritten after every row, so an interrupted run keeps its rows)")
    p.add_argument("overrides", nargs="*", metavar="KEY VALUE", help="overrides applied to both configs")
    args = parse_known(p, argv)  # KEY VALUE pairs anywhere on the line (svit.utils.cli.split_overrides)

    from svit.apps.bench_model import benchmark_one, lookup_peak_tflops

    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(f"device {name}, torch {torch.__version__}")
    cfg, ours = build_ours(args.cfg, args.opts)
    ours = ours.to(device)
    original = build_original(args.original_root, args.opts).to(device)
    n_ours = sum(p.numel() for p in ours.parameters())
    n_orig = sum(p.numel() for p in original.parameters())
    print(f"parameters: ours {n_ours:,}, original {n_orig:,}")
    out: dict[str, Any] = {"device": name, "torch": torch.__version__, "params": {"ours": n_ours, "original": n_orig},
                           "rows": []}

    def dump() -> None:
        if args.json not in (None, JSON_STDOUT):
            with open(args.json, "w") as f:
                json.dump(out, f, indent=1)

    if not args.no_check:
        out["check"] = check_equal(original, ours, cfg, device)
        dump()
    if args.conv_micro:
        out["conv_micro"] = conv_micro(ours, cfg, args.profile_batch, device)
        dump()
    from svit.models.layers.depthwise import set_depthwise_conv_impl

    attn0, pool0 = str(cfg.MODEL.ATTN_IMPL), str(cfg.MODEL.DEPTHWISE_CONV_IMPL)
    for variant in args.variants:
        is_orig = variant.startswith("original")
        amp = "fp16" if "fp16" in variant else "off" if "fp32" in variant else "bf16"
        model = original if is_orig else ours
        if not is_orig:
            today = variant.startswith("today")
            ours.set_attn_impl("sdpa_mask" if today else attn0)
            set_depthwise_conv_impl(ours, "plain" if today else pool0)
        runner = torch.compile(model) if variant.endswith("compile") else model
        if variant.endswith("compile-blocks"):
            for blk in ours.blocks:
                blk.compile()
        peak = lookup_peak_tflops(name, amp) if device.type == "cuda" else None
        graphs = variant.endswith("graphs")
        if graphs and device.type == "cuda":
            out["graphs_max_abs_logit_diff"] = graphs_match(ours, cfg, args.batch_size[0], device)
            print(f"CUDA graph eval vs eager (bf16 logits): max |diff| {out['graphs_max_abs_logit_diff']:.2e}")
        for batch in args.batch_size:
            for mode in args.modes:
                base = {"variant": variant, "amp": amp, "mode": mode, "batch_size": batch, "device": name,
                        # ours under our model name (what `benchmark.py bound --model-json` looks up)
                        "model": f"original {cfg.MODEL.MODEL_NAME}" if is_orig else cfg.MODEL.MODEL_NAME}
                row_runner = runner
                try:
                    if graphs and mode == "train" and device.type == "cuda":
                        row_runner = graphed_train_runner(ours, cfg, batch, device)
                    res = benchmark_one(model, row_runner, cfg, batch, mode, amp, args.warmup, args.iters, device,
                                        profile_launches=batch == args.profile_batch, cuda_graphs=graphs)
                except torch.cuda.OutOfMemoryError as e:
                    res = {"error": f"OOM: {str(e)[:120]}"}
                    torch.cuda.empty_cache()
                except Exception as e:  # noqa: BLE001 - an experimental capture failing is a result, not a crash
                    if not graphs:
                        raise
                    res = {"error": f"{type(e).__name__}: {str(e)[:300]}"}
                del row_runner
                torch.cuda.empty_cache() if device.type == "cuda" else None
                row = {**base, **res, "peak_tflops": peak}
                out["rows"].append(row)
                dump()
                if "error" in row:
                    print(f"{variant:<18}{mode:<6}{batch:>4}  {row['error']}")
                else:
                    mem = "-" if row["peak_mem_gb"] is None else f"{row['peak_mem_gb']:.1f} GB"
                    print(f"{variant:<18}{mode:<6}{batch:>4}{row['clips_per_s']:>9.2f} clips/s  {mem:>9}  "
                          f"kernels {row['kernels_per_step']}  warm-up {row['warmup_s']:.1f} s", flush=True)
        if args.top_kernels and variant == "ours-bf16":
            from svit.apps.bench_model import _autocast

            x = torch.randn(args.profile_batch, 3, cfg.DATA.NUM_FRAMES, cfg.DATA.TRAIN_CROP_SIZE,
                            cfg.DATA.TRAIN_CROP_SIZE, device=device)

            def train_step() -> None:
                ours.train()
                with _autocast(device, amp):
                    o = ours(x)
                (o["logits"] if isinstance(o, dict) else o).float().sum().backward()
                ours.zero_grad(set_to_none=True)

            def eval_step() -> None:
                ours.eval()
                with torch.no_grad(), _autocast(device, amp):
                    ours(x)

            out["top_kernels"] = {"train": top_kernels(train_step, device), "eval": top_kernels(eval_step, device)}
            for mode, ks in out["top_kernels"].items():
                print(f"top kernels, ours-bf16 {mode} batch {args.profile_batch}:")
                for k in ks:
                    print(f"  {100 * k['share']:5.1f}%  {k['ms']:9.2f} ms  x{k['calls']:<5} {k['name']}")
            dump()
    print(f"{'variant':<18}{'mode':<6}{'batch':>6}{'clips/s':>9}{'vs original':>12}{'peak GB':>9}{'mem ratio':>10}")
    rows = out["rows"]
    for r in rows:
        if "error" in r:
            continue
        # reference: the original's recipe precision for training (fp16), bf16 for evaluation (as ours),
        # whichever of the two was measured otherwise
        prefer = ["original-fp16", "original-bf16"] if r["mode"] == "train" else ["original-bf16", "original-fp16"]
        if r["amp"] == "off":
            prefer = ["original-fp32"]
        ref = [o for v in prefer for o in rows if o["variant"] == v and o["mode"] == r["mode"]
               and o["batch_size"] == r["batch_size"] and "error" not in o]
        ratio = f"{r['clips_per_s'] / ref[0]['clips_per_s']:.2f}x" if ref else "-"
        mem = r["peak_mem_gb"]
        mratio = f"{mem / ref[0]['peak_mem_gb']:.2f}" if ref and mem and ref[0]["peak_mem_gb"] else "-"
        print(f"{r['variant']:<18}{r['mode']:<6}{r['batch_size']:>6}{r['clips_per_s']:>9.2f}{ratio:>12}"
              f"{'-' if mem is None else f'{mem:.1f}':>9}{mratio:>10}")
    dump()
    if args.json == JSON_STDOUT:
        write_json(out, JSON_STDOUT)
    return rows


if __name__ == "__main__":
    main(sys.argv[1:])
