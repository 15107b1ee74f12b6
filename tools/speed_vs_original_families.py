#!/usr/bin/env python
"""Every family's speed side by side with its original code, in one process (issue 23, item 2).

``tools/speed_vs_original.py`` does this for SViT/MViT; this sibling does it for the other families
(``tools/original_families.py`` says how each original is imported and built). For each family:

1. the original model is imported from a checkout named on the command line (``--svmix-root``,
   ``--ibm-root``, ...), never from this repository, and built at the same size as ours;
2. its random weights (its own initialisation, BatchNorm running statistics randomised so that eval
   normalisation is not the identity) are saved as the original's trainer saves them and loaded into
   ours through our adapter for that format (strict);
3. fp32 eval outputs on one random batch are compared: a pair whose probabilities differ by more than
   ``--tol`` (max abs), or whose logits differ by more than ``--tol`` relative to their largest value,
   is refused (no timing: the speed would not be of the same function);
4. forward (eval, no grad) and forward + cross-entropy + backward + AdamW step (train) of both are
   timed with the code of ``tools/benchmark.py model`` (``svit.apps.bench_model.benchmark_one``) on
   the same input, the two sides interleaved (original, ours, original, ours, ...) so that load from
   other processes hits both alike. The summary row's ``speedup`` is original seconds / our seconds
   per step (>1: ours is faster), from the medians over the repeats; ``cpu_speedup`` the same from
   process CPU seconds (CPU only; steadier on a shared machine).

The original takes its own input layout (e.g. TSM's (B, 3·T, H, W)); the layout change of our
(B, 3, T, H, W) clip is part of its timed step (one copy of the input, small against a network).
Every row carries the metadata of ``tools/benchmark.py`` rows (``svit.utils.run_info``: device,
versions, commit, command, load average).

Example (CPU): python tools/speed_vs_original_families.py --svmix-root /tmp/originals/svmix \\
    --families tsm_r50 --batch-size 2 --threads 2 --json rows.json
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
from typing import Any

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tools.original_families import Family, OriginalCall  # noqa: E402


def randomize_norm_stats(model: nn.Module, seed: int = 1) -> None:
    """Random BatchNorm running statistics: with the freshly built mean 0 / var 1, eval normalisation
    is the identity and a port that mixed up its statistics would not show in the check."""
    gen = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.running_mean is not None:
            m.running_mean.copy_(0.1 * torch.randn(m.running_mean.shape, generator=gen))
            m.running_var.copy_(0.5 + torch.rand(m.running_var.shape, generator=gen))


def build_ours(family: Family, size: dict):
    from svit.config import load_config
    from svit.engine.compile import apply_model_speed_options
    from svit.models import build_model

    opts = [str(o).format(**size) for o in family.ours_opts]
    cfg = load_config(family.ours_cfg, opts)
    torch.manual_seed(0)
    return cfg, apply_model_speed_options(cfg, build_model(cfg))


def load_original_weights(family: Family, original: OriginalCall, ours: nn.Module) -> None:
    """The original's state dict, saved the way its trainer does, into ours through the adapter (strict)."""
    from svit.checkpoint import load_checkpoint

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, f"{family.name}_original.pth")
        torch.save(family.save_as(original.model.state_dict()), path)
        load_checkpoint(path, ours, strict=True, checkpoint_type=family.checkpoint_type)


def check_equal(original: nn.Module, ours: nn.Module, cfg, tol: float) -> dict[str, float]:
    """fp32 eval logits of both on one random batch of two clips: max |Δ probability| and max |Δ logit|
    relative to the largest logit. ``ok`` is False when either exceeds ``tol``."""
    from svit.models.input_size import input_frames

    x = torch.randn(2, cfg.DATA.INPUT_CHANNEL_NUM[0], input_frames(cfg), cfg.DATA.TEST_CROP_SIZE,
                    cfg.DATA.TEST_CROP_SIZE, generator=torch.Generator().manual_seed(3))
    original.eval()
    ours.eval()
    with torch.no_grad():
        a = original(x).float()
        out = ours(x)
        b = (out["logits"] if isinstance(out, dict) else out).float()
    if a.shape != b.shape:
        raise ValueError(f"original logits {tuple(a.shape)} vs ours {tuple(b.shape)}: not the same model")
    prob = (a.softmax(-1) - b.softmax(-1)).abs().max().item()
    rel = ((a - b).abs().max() / a.abs().max().clamp_min(1e-12)).item()
    return {"max_abs_prob_diff": prob, "max_rel_logit_diff": rel, "max_abs_logit": a.abs().max().item(),
            "tol": tol, "ok": prob <= tol and rel <= tol}


def time_pair(original: nn.Module, ours: nn.Module, cfg, batch: int, modes: list[str], repeats: int, warmup: int,
              iters: int, device: torch.device) -> list[dict[str, Any]]:
    """Rows of both sides, interleaved: per mode, ``repeats`` rounds of (original, ours), the side that
    goes first alternating by round, each a ``benchmark_one`` row (warm-up + ``iters`` timed steps)."""
    from svit.apps.bench_model import benchmark_one

    rows = []
    for mode in modes:
        for rep in range(repeats):
            order = (("original", original), ("ours", ours))
            for side, model in (order if rep % 2 == 0 else order[::-1]):
                res = benchmark_one(model, model, cfg, batch, mode, "off", warmup, iters, device,
                                    profile_launches=False)
                rows.append({"side": side, "repeat": rep, **res})
                print(f"  {mode:<5} {side:<8} rep {rep}: {res['s_per_step']:.3f} s/step", flush=True)
    return rows


def summarize(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per mode: median seconds per step of each side and ``speedup`` = original / ours."""
    out = []
    for mode in dict.fromkeys(r["mode"] for r in rows):
        med = {}
        for side in ("original", "ours"):
            mine = [r for r in rows if r["mode"] == mode and r["side"] == side]
            med[side] = {k: statistics.median(r[k] for r in mine) for k in ("s_per_step", "cpu_s_per_step")
                         if all(k in r for r in mine)}
        row = {"mode": mode, "original_s_per_step": med["original"]["s_per_step"],
               "ours_s_per_step": med["ours"]["s_per_step"],
               "speedup": med["original"]["s_per_step"] / med["ours"]["s_per_step"]}
        if "cpu_s_per_step" in med["ours"] and "cpu_s_per_step" in med["original"]:
            row["cpu_speedup"] = med["original"]["cpu_s_per_step"] / med["ours"]["cpu_s_per_step"]
        out.append(row)
    return out


def measure_family(family: Family, root: str, batch: int, modes: list[str], repeats: int, warmup: int, iters: int,
                   tol: float, device: torch.device, info: dict[str, Any]) -> dict[str, Any]:
    """Build, load, check and (when equal) time one pair; returns its JSON record (``refused`` with the
    check's numbers when the outputs differ beyond ``tol``)."""
    size = dict(family.size)
    cfg, ours = build_ours(family, size)
    torch.manual_seed(0)
    original = family.build_original(root, size)
    randomize_norm_stats(original.model)
    load_original_weights(family, original, ours)
    ours, original = ours.to(device), original.to(device)
    rec: dict[str, Any] = {**info, "family": family.name, "model": cfg.MODEL.MODEL_NAME, "cfg": family.ours_cfg,
                           "original_root": os.path.abspath(root), "batch_size": batch, "size": size,
                           "threads": torch.get_num_threads(), "amp": "off", "warmup": warmup, "iters": iters,
                           "repeats": repeats,
                           "params": {"ours": sum(p.numel() for p in ours.parameters()),
                                      "original": sum(p.numel() for p in original.parameters())},
                           "trainable_params": {"ours": sum(p.numel() for p in ours.parameters() if p.requires_grad),
                                                "original": sum(p.numel() for p in original.parameters()
                                                                if p.requires_grad)}}
    check = check_equal(original, ours, cfg, tol)
    rec["check"] = check
    print(f"{family.name}: params ours {rec['params']['ours']:,} original {rec['params']['original']:,}; "
          f"max |Δp| {check['max_abs_prob_diff']:.2e}, max rel |Δlogit| {check['max_rel_logit_diff']:.2e}", flush=True)
    if not check["ok"]:
        rec["refused"] = (f"outputs differ beyond {tol:g} (prob {check['max_abs_prob_diff']:.2e}, rel logit "
                          f"{check['max_rel_logit_diff']:.2e}): not timed")
        print(f"{family.name}: REFUSED, {rec['refused']}")
    if "refused" in rec or not modes:
        return rec
    rec["rows"] = time_pair(original, ours, cfg, batch, modes, repeats, warmup, iters, device)
    rec["summary"] = summarize(rec["rows"])
    for s in rec["summary"]:
        cpu = f", CPU-time speedup {s['cpu_speedup']:.2f}x" if "cpu_speedup" in s else ""
        print(f"{family.name} {s['mode']:<5} original {s['original_s_per_step']:.3f} s  "
              f"ours {s['ours_s_per_step']:.3f} s  speedup {s['speedup']:.2f}x{cpu}", flush=True)
    return rec


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    import json

    from svit.utils.cli import add_json_arg, parse_known, write_json
    from svit.utils.run_info import run_info
    from tools.original_families import FAMILIES, ROOT_ARGS

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for arg, what in ROOT_ARGS.items():
        p.add_argument(f"--{arg.replace('_', '-')}", dest=arg, default=None, help=f"checkout of {what}")
    p.add_argument("--families", nargs="+", default=list(FAMILIES), choices=list(FAMILIES),
                   help="pairs to measure, in this order (a family whose checkout is not given is skipped)")
    p.add_argument("--batch-size", type=int, default=2, help="clips per step, the same for both sides")
    p.add_argument("--modes", nargs="+", default=["eval", "train"], choices=("train", "eval"),
                   help="eval = forward under no_grad; train = forward, loss, backward and AdamW step")
    p.add_argument("--repeats", type=int, default=2, help="interleaved rounds (original, ours) per mode")
    p.add_argument("--warmup", type=int, default=1, help="untimed steps per row")
    p.add_argument("--iters", type=int, default=2, help="timed steps per row")
    p.add_argument("--check-only", action="store_true", help="equal-output checks only, no timing")
    p.add_argument("--tol", type=float, default=1e-4, help="largest accepted output difference (see above)")
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (CPU)")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--size", nargs="*", default=[], metavar="KEY=VALUE",
                   help="override every family's size (frames=8 crop=224 classes=174)")
    add_json_arg(p, "the records (a PATH is rewritten after every family, so an interrupted run keeps its rows)")
    args = parse_known(p, argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    info = run_info(device, ["tools/speed_vs_original_families.py", *(sys.argv[1:] if argv is None else argv)])
    override = {}
    for kv in args.size:
        key, sep, value = kv.partition("=")
        if not sep or key not in ("frames", "crop", "classes"):
            raise ValueError(f"--size {kv!r}: expected frames=N, crop=N or classes=N")
        override[key] = int(value)
    records = []
    for name in args.families:
        fam = FAMILIES[name]
        root = getattr(args, fam.root_arg)
        if root is None:
            print(f"{name}: skipped (no --{fam.root_arg.replace('_', '-')})")
            continue
        fam = dataclasses.replace(fam, size={**fam.size, **override})
        modes = [] if args.check_only else args.modes
        records.append(measure_family(fam, root, args.batch_size, modes, args.repeats, args.warmup, args.iters,
                                      args.tol, device, info))
        if args.json not in (None, "-"):
            with open(args.json, "w") as f:
                json.dump(records, f, indent=1)
    print(f"{'family':<14}{'mode':<7}{'original s':>11}{'ours s':>9}{'speedup':>9}{'CPU-time':>10}")
    for r in records:
        for s in r.get("summary", []):
            cpu = f"{s['cpu_speedup']:.2f}x" if "cpu_speedup" in s else "-"
            print(f"{r['family']:<14}{s['mode']:<7}{s['original_s_per_step']:>11.3f}{s['ours_s_per_step']:>9.3f}"
                  f"{s['speedup']:>8.2f}x{cpu:>10}")
        if "refused" in r:
            print(f"{r['family']:<14}refused: {r['refused']}")
    if args.json == "-":
        write_json(records, "-")
    return records


if __name__ == "__main__":
    main(sys.argv[1:])
