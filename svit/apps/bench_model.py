"""Training-step and evaluation throughput of a configured model, measured so that GPU numbers mean
something: warm-up steps first (cuDNN autotuning, ``torch.compile``), CUDA-event timing of each step
followed by one device synchronisation, peak memory from ``torch.cuda.max_memory_allocated``, the
number of kernel launches per step from ``torch.profiler`` and the model FLOPs utilisation (MFU).

MFU = fvcore multiply-adds per clip x 2 (FLOPs per multiply-add) x 3 (forward + backward ≈ 3x the
forward) x clips/s over the device's peak; evaluation uses x 2 only. The peak is ``--peak-tflops`` or
looked up by device name for known GPUs (dense tensor-core numbers of the datasheets; bf16 and fp16
are equal there). On CPU everything runs the same way with ``time.perf_counter`` timing; peak memory
and kernel launches are then ``None`` and the ATen operator calls are counted at the dispatcher
instead (no profiler on CPU: see ``count_launches``).

Entry point ``run_model_benchmark(args)`` for ``tools/benchmark.py model`` (see its ``--help``).
"""
from __future__ import annotations

import json
import math
import resource
import statistics
import time
from argparse import Namespace
from contextlib import nullcontext
from typing import Any, Callable

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.profiler import ProfilerActivity, profile
from torch.utils._python_dispatch import TorchDispatchMode

from svit.config import load_config
from svit.engine.compile import apply_model_speed_options
from svit.engine.cuda_graphs import CudaGraphForward
from svit.models import build_model
from svit.models.input_size import input_frames
from svit.utils.flops import gflops
from svit.utils.run_info import cpu_model

AMP_DTYPES = {"off": None, "bf16": torch.bfloat16, "fp16": torch.float16}

# Dense peak TFLOP/s per device-name fragment (checked in order): (bf16/fp16 tensor core, fp32 no TF32).
PEAK_TFLOPS: tuple[tuple[str, float, float], ...] = (
    ("H200 NVL", 835.0, 60.0),
    ("H200", 989.4, 66.9),
    ("H100 NVL", 835.0, 60.0),
    ("H100 PCIe", 756.0, 51.2),
    ("H100", 989.4, 66.9),  # SXM (HBM3) boards report e.g. "NVIDIA H100 80GB HBM3"
    ("A100", 312.0, 19.5),
)
LAUNCH_CALLS = ("cudaLaunchKernel", "cudaLaunchKernelExC", "cuLaunchKernel", "cuLaunchKernelEx", "cudaGraphLaunch")


def _load_cfg(cfg_file: str, opts: list[str] | None):
    return load_config(cfg_file, opts or [])


def _logits(out: Any) -> torch.Tensor:
    return out["logits"] if isinstance(out, dict) else out


def lookup_peak_tflops(device_name: str, amp: str) -> float | None:
    """Datasheet dense peak for ``device_name`` (``torch.cuda.get_device_name``) or ``None``.

    fp32 (``amp off``) counts TF32 tensor cores at half the bf16 peak when matmuls may use TF32."""
    for key, half, fp32 in PEAK_TFLOPS:
        if key.lower() in device_name.lower():
            if amp != "off":
                return half
            return half / 2 if torch.backends.cuda.matmul.allow_tf32 else fp32
    return None


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_steps(fn: Callable[[], None], warmup: int, iters: int, device: torch.device) -> dict[str, float]:
    """Runs ``fn`` ``warmup`` times untimed, then ``iters`` timed times.

    CUDA: a pair of events around every step, one synchronisation at the end (no host sync inside
    the timed loop), so queued work is counted where it runs. CPU: ``perf_counter`` per step.
    Returns the warm-up wall time and the mean/median/min seconds per step.
    """
    if iters < 1:
        raise ValueError(f"--iters must be >= 1, got {iters}")
    t0 = time.perf_counter()
    for _ in range(warmup):
        fn()
    _sync(device)
    warmup_s = time.perf_counter() - t0
    if device.type == "cuda":
        events = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)) for _ in range(iters)]
        for start, end in events:
            start.record()
            fn()
            end.record()
        torch.cuda.synchronize(device)
        times = [s.elapsed_time(e) / 1000.0 for s, e in events]
    else:
        times, cpu = [], []
        for _ in range(iters):
            t, c = time.perf_counter(), time.process_time()
            fn()
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
    row = {"warmup_s": warmup_s, "s_per_step": statistics.fmean(times), "s_per_step_median": statistics.median(times),
           "s_per_step_min": min(times)}
    if device.type != "cuda":  # process CPU seconds per step: steadier than wall time on a shared machine
        row.update(cpu_s_per_step=statistics.fmean(cpu), cpu_s_per_step_min=min(cpu))
    return row


def count_dispatched_ops(fn: Callable[[], None]) -> int:
    """ATen operator calls of one call of ``fn`` (backward and optimiser included), counted where the
    dispatcher hands them to the backend kernels (composite ops arrive decomposed)."""
    class _Count(TorchDispatchMode):
        calls = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            self.calls += 1
            return func(*args, **(kwargs or {}))

    with _Count() as counter:
        fn()
    return counter.calls


def count_launches(fn: Callable[[], None], device: torch.device) -> dict[str, int | None]:
    """Profiles one call of ``fn``: CUDA kernels executed and launch API calls (CUDA), and top-level
    ATen operator calls (the CPU-side analogue of a launch).

    On CPU the profiler is not used at all: kineto in a CUDA build of torch probes for GPUs when a trace
    stops, even with CPU activities only, and prints ``gpuGetDeviceCount failed`` on a machine without
    a driver. The ATen calls are then counted at the dispatcher (``count_dispatched_ops``)."""
    if device.type != "cuda":
        return {"kernels_per_step": None, "launch_calls_per_step": None, "aten_ops_per_step": count_dispatched_ops(fn)}
    acts = [ProfilerActivity.CPU, ProfilerActivity.CUDA]
    with profile(activities=acts) as prof:
        fn()
        _sync(device)
    kernels = launches = 0
    top_ops = 0
    for evt in prof.events():
        if evt.device_type == torch.autograd.DeviceType.CUDA:
            if not evt.name.startswith(("Memcpy", "Memset")):
                kernels += 1
        elif evt.name in LAUNCH_CALLS:
            launches += 1
        elif evt.name.startswith("aten::") and (evt.cpu_parent is None or not evt.cpu_parent.name.startswith("aten::")):
            top_ops += 1
    return {"kernels_per_step": kernels, "launch_calls_per_step": launches, "aten_ops_per_step": top_ops}


def gmacs_per_clip(model: nn.Module, clip_shape: tuple[int, ...], device: torch.device) -> float | None:
    """fvcore multiply-adds (G) of one clip through the (uncompiled) model, or ``None`` if fvcore fails."""
    try:
        return gflops(model, torch.zeros(1, *clip_shape, device=device))
    except Exception as e:  # noqa: BLE001 - MFU is then reported as None, the timing still stands
        print(f"fvcore could not count {type(model).__name__}: {type(e).__name__}: {e}")
        return None


def _autocast(device: torch.device, amp: str):
    dtype = AMP_DTYPES[amp]
    return torch.autocast(device.type, dtype=dtype) if dtype is not None else nullcontext()


def make_optimizer(model: nn.Module, device: torch.device) -> torch.optim.Optimizer:
    """AdamW as the recipes train, fused into one kernel per step where this build supports it."""
    params = [p for p in model.parameters() if p.requires_grad]
    if device.type == "cuda":
        try:
            return torch.optim.AdamW(params, lr=1e-6, fused=True)
        except (RuntimeError, TypeError):
            pass
    return torch.optim.AdamW(params, lr=1e-6)


def _peak_mem(device: torch.device) -> float | None:
    return torch.cuda.max_memory_allocated(device) / 1e9 if device.type == "cuda" else None


def _reset_peak(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


def benchmark_one(model: nn.Module, runner: nn.Module, cfg, batch: int, mode: str, amp: str, warmup: int, iters: int,
                  device: torch.device, profile_launches: bool = True, cuda_graphs: bool = False) -> dict[str, Any]:
    """One row: ``mode`` "train" (forward + cross-entropy + backward + AdamW step) or "eval" (no-grad
    forward) of ``runner`` (``model`` or its compiled form) on a random batch of ``batch`` clips.
    ``cuda_graphs``: the evaluation forward replays a CUDA graph (``TEST.CUDA_GRAPHS``; CUDA only)."""
    c = cfg.DATA.INPUT_CHANNEL_NUM[0]
    crop = cfg.DATA.TRAIN_CROP_SIZE if mode == "train" else cfg.DATA.TEST_CROP_SIZE
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(batch, c, input_frames(cfg), crop, crop, generator=gen).to(device)
    y = torch.randint(0, cfg.MODEL.NUM_CLASSES, (batch,), generator=gen).to(device)
    _reset_peak(device)
    if mode == "train":
        model.train()
        opt = make_optimizer(model, device)
        scaler = torch.amp.GradScaler(device.type, enabled=amp == "fp16")

        def fn() -> None:
            opt.zero_grad(set_to_none=True)
            with _autocast(device, amp):
                loss = F.cross_entropy(_logits(runner(x)).float(), y)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
    else:
        model.eval()
        if cuda_graphs and device.type == "cuda":
            runner = CudaGraphForward(runner, AMP_DTYPES[amp])

        def fn() -> None:
            with torch.no_grad(), _autocast(device, amp):
                runner(x)

    row: dict[str, Any] = {"mode": mode, "batch_size": batch, "input": list(x.shape)}
    row.update(time_steps(fn, warmup, iters, device))
    row["clips_per_s"] = batch / row["s_per_step"]
    row["peak_mem_gb"] = _peak_mem(device)
    row.update(count_launches(fn, device) if profile_launches else
               {"kernels_per_step": None, "launch_calls_per_step": None, "aten_ops_per_step": None})
    if mode == "train":
        del opt
        model.zero_grad(set_to_none=True)  # the next row's peak memory must not include these
    return row


def run_model_benchmark(args: Namespace) -> list[dict[str, Any]]:
    """Measures every (attention implementation, batch size, mode) of ``args.cfg`` (+ ``args.opts``),
    prints a table and, with ``args.json`` (True prints, a path writes), the rows as JSON."""
    cfg = _load_cfg(args.cfg, getattr(args, "opts", None))
    device = torch.device(getattr(args, "device", None) or ("cuda" if torch.cuda.is_available() else "cpu"))
    amp = getattr(args, "amp", "off") or "off"
    if amp not in AMP_DTYPES:
        raise ValueError(f"--amp must be one of {sorted(AMP_DTYPES)}, got {amp!r}")
    batches = [int(b) for b in (getattr(args, "batch_size", None) or [1])]
    if isinstance(getattr(args, "batch_size", None), int):
        batches = [int(args.batch_size)]
    modes = list(getattr(args, "modes", None) or ["train", "eval"])
    impls = list(getattr(args, "attn_impl", None) or [None])
    warmup, iters = int(getattr(args, "warmup", 2)), int(getattr(args, "iters", 3))
    use_compile = bool(getattr(args, "compile", False))
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = bool(getattr(args, "cudnn_benchmark", False))
    torch.manual_seed(0)
    model = apply_model_speed_options(cfg, build_model(cfg)).to(device)
    n_params = sum(p.numel() for p in model.parameters())
    device_name = torch.cuda.get_device_name(device) if device.type == "cuda" else cpu_model()
    peak = getattr(args, "peak_tflops", None)
    if peak is None and device.type == "cuda":
        peak = lookup_peak_tflops(device_name, amp)
    gmacs = {}
    if not getattr(args, "no_flops", False):
        for mode in modes:
            crop = cfg.DATA.TRAIN_CROP_SIZE if mode == "train" else cfg.DATA.TEST_CROP_SIZE
            shape = (cfg.DATA.INPUT_CHANNEL_NUM[0], input_frames(cfg), crop, crop)
            if shape not in gmacs:
                gmacs[shape] = gmacs_per_clip(model, shape, device)
    rows: list[dict[str, Any]] = []
    for impl in impls:
        if impl is not None:
            if hasattr(model, "set_attn_impl"):  # every transformer family (MViT/SViT, Swin, UniFormer, ViViT)
                model.set_attn_impl(impl)
            else:
                raise ValueError(f"{cfg.MODEL.MODEL_NAME} has no attention implementation switch (--attn-impl)")
        runner = torch.compile(model, mode=getattr(args, "compile_mode", None) or "default") if use_compile else model
        for batch in batches:
            for mode in modes:
                base = {"model": cfg.MODEL.MODEL_NAME, "cfg": args.cfg, "attn_impl": impl or cfg.MODEL.ATTN_IMPL,
                        "depthwise_conv_impl": cfg.MODEL.DEPTHWISE_CONV_IMPL, "amp": amp, "compile": use_compile,
                        "cuda_graphs": bool(getattr(args, "cuda_graphs", False)),
                        "device": str(device), "device_name": device_name,
                        "torch": torch.__version__, "threads": torch.get_num_threads(), "params": n_params,
                        "warmup": warmup, "iters": iters, "peak_tflops": peak}
                try:
                    res = benchmark_one(model, runner, cfg, batch, mode, amp, warmup, iters, device,
                                        profile_launches=not getattr(args, "no_profile", False),
                                        cuda_graphs=bool(getattr(args, "cuda_graphs", False)))
                except torch.cuda.OutOfMemoryError as e:  # a sweep goes on past the batch that does not fit
                    rows.append({**base, "mode": mode, "batch_size": batch, "error": f"OOM: {str(e)[:200]}"})
                    torch.cuda.empty_cache()
                    continue
                shape = tuple(res["input"][1:])
                g = gmacs.get(shape)
                flops_per_clip = None if g is None else g * 1e9 * 2 * (3 if mode == "train" else 1)
                res["gmacs_per_clip"] = g
                res["tflops_achieved"] = None if g is None else flops_per_clip * res["clips_per_s"] / 1e12
                res["mfu"] = None if (g is None or not peak) else res["tflops_achieved"] / peak
                rows.append({**base, **res})
    rows_ok = [r for r in rows if "error" not in r]
    print(f"{cfg.MODEL.MODEL_NAME} on {device_name} ({device}), {n_params:,} params, amp={amp}, compile={use_compile}")
    print(f"{'attn':<9}{'mode':<6}{'batch':>6}{'clips/s':>10}{'s/step':>9}{'peak GB':>9}{'MFU':>8}"
          f"{'kernels':>9}{'aten ops':>9}")
    for r in rows:
        if "error" in r:
            print(f"{r['attn_impl']:<9}{r['mode']:<6}{r['batch_size']:>6}  {r['error'][:60]}")
            continue
        mem = "-" if r["peak_mem_gb"] is None else f"{r['peak_mem_gb']:.2f}"
        mfu = "-" if r["mfu"] is None else f"{100 * r['mfu']:.1f}%"
        ker = "-" if r["kernels_per_step"] is None else str(r["kernels_per_step"])
        ops = "-" if r["aten_ops_per_step"] is None else str(r["aten_ops_per_step"])
        print(f"{r['attn_impl']:<9}{r['mode']:<6}{r['batch_size']:>6}{r['clips_per_s']:>10.3f}{r['s_per_step']:>9.3f}"
              f"{mem:>9}{mfu:>8}{ker:>9}{ops:>9}")
    if device.type == "cpu" and rows_ok:
        print(f"process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB")
    out_json = getattr(args, "json", False)
    if out_json:
        text = json.dumps(rows, indent=2, default=lambda v: None if isinstance(v, float) and math.isnan(v) else str(v))
        if isinstance(out_json, str):
            with open(out_json, "w") as f:
                f.write(text + "\n")
        else:
            print(text)
    return rows
