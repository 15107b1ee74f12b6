#!/usr/bin/env python
"""Cost of SV-Mix: one training step with the ``svmix`` hook over one plain step, same model and batch.

A plain step is forward + backward + optimiser step of the online model. An SV-Mix step adds the EMA
teacher's clean-clip feature pass (no_grad, once), the selector (twice), the teacher's forward on the
offline mix and the backward through it to the selector, the selector's optimiser step and the EMA
update. Steps alternate (plain, SV-Mix, plain, ...) so drifting machine load hits both; the medians
are reported. ``--cpu-time`` measures process CPU time instead of wall time (a fairer clock on a
shared CPU).

    python tools/svmix_cost.py --cfg configs/synthetic/svmix_tsm_tiny.yaml --batch-size 8 --steps 5
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from typing import Any, Callable

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402
from fvcore.common.config import CfgNode  # noqa: E402

from svit.config import load_config  # noqa: E402
from svit.engine.context import StepContext  # noqa: E402
from svit.engine.ema import ModelEma  # noqa: E402
from svit.engine.hooks.svmix import SVMixHook  # noqa: E402
from svit.losses.classification import soft_target_cross_entropy  # noqa: E402
from svit.models import build_model  # noqa: E402
from svit.utils.cli import add_cfg_args, parse_known  # noqa: E402


def measure_step_ratio(
    cfg: CfgNode, batch_size: int, steps: int = 3, warmup: int = 1, device: str = "cpu", cpu_time: bool = False
) -> dict[str, Any]:
    """Median seconds of a plain and of an SV-Mix training step and their ratio."""
    dev = torch.device(device)
    cfg = cfg.clone()
    cfg.defrost()
    cfg.SVMIX.ENABLE = True
    torch.manual_seed(0)
    net = build_model(cfg).to(dev).train()
    ema = ModelEma(net, 0.999, update_buffers=False)
    k = int(cfg.MODEL.NUM_CLASSES)
    ctx = StepContext(cfg, dev, net, net, ema, num_classes=k)
    hook = SVMixHook(cfg, ctx)
    hook.selector.to(dev).train()
    opt = torch.optim.SGD(net.parameters(), lr=1e-3, momentum=0.9)
    hopt = hook.build_optimizer()
    t, s = int(cfg.DATA.NUM_FRAMES), int(cfg.DATA.TRAIN_CROP_SIZE)
    x = torch.randn(batch_size, int(cfg.DATA.INPUT_CHANNEL_NUM[0]), t, s, s, device=dev)
    y = torch.arange(batch_size, device=dev) % k
    one_hot = torch.nn.functional.one_hot(y, k).float()
    amp = dev.type == "cuda"

    def plain() -> None:
        opt.zero_grad(set_to_none=True)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp):
            loss = soft_target_cross_entropy(net(x), one_hot)
        loss.backward()
        opt.step()

    def svmix() -> None:
        opt.zero_grad(set_to_none=True)
        if hopt is not None:
            hopt.optimizer.zero_grad(set_to_none=True)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp):
            out, terms = hook.before_step({"inputs": x, "labels": y}, ctx)
            loss = soft_target_cross_entropy(net(out["inputs"]), out["targets"]) + sum(terms.values())
        loss.backward()
        opt.step()
        if hopt is not None:
            hopt.optimizer.step()
        ema.update(net)

    clock: Callable[[], float] = time.process_time if cpu_time else time.perf_counter

    def timed(fn: Callable[[], None]) -> float:
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        t0 = clock()
        fn()
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        return clock() - t0

    times: dict[str, list[float]] = {"plain": [], "svmix": []}
    for i in range(warmup + steps):
        for name, fn in (("plain", plain), ("svmix", svmix)):
            dt = timed(fn)
            if i >= warmup:
                times[name].append(dt)
    p, m = statistics.median(times["plain"]), statistics.median(times["svmix"])
    return {"model": cfg.MODEL.MODEL_NAME, "batch_size": batch_size, "frames": t, "crop": s, "device": str(dev),
            "clock": "process_time" if cpu_time else "wall", "plain_s": p, "svmix_s": m, "ratio": m / p,
            "plain_all": times["plain"], "svmix_all": times["svmix"]}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_cfg_args(ap)
    ap.add_argument("--batch-size", type=int, default=8, help="clips per step (default 8)")
    ap.add_argument("--steps", type=int, default=3, help="measured steps of each kind (default 3)")
    ap.add_argument("--warmup", type=int, default=1, help="unmeasured steps of each kind first (default 1)")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu",
                    help="torch device (default: cuda when available, else cpu)")
    ap.add_argument("--cpu-time", action="store_true", help="measure process CPU time instead of wall time")
    args = parse_known(ap, argv)
    cfg = load_config(args.cfg, args.opts or [])
    print(json.dumps(measure_step_ratio(cfg, args.batch_size, args.steps, args.warmup, args.device, args.cpu_time)))


if __name__ == "__main__":
    main()
