#!/usr/bin/env python
"""Times the README's main job (train + 1 clip x 3 crops test on the embedded synthetic dataset) the
way the README states it: one fresh run per seed, the dataset generated beforehand (outside the timing).

For every seed it runs ``python tools/run_net.py --cfg CFG RNG_SEED <seed> OUTPUT_DIR <out>/seed_<seed>
[KEY VALUE ...]`` as a child process and records its wall-clock time, its CPU time (user + sys of the
run and its data-loader workers, from ``getrusage(RUSAGE_CHILDREN)``), the 1-minute load average
before and after (what else the machine was doing), top-1 / top-5 / mean class accuracy from
``test_results.json`` and the per-class accuracy of the classes that differ only in temporal order
(``per_class_accuracy.csv``). ``<out>/summary.json`` and ``<out>/summary.md`` hold the rows, their
mean / min / max, the machine (cores, torch, commit) and the exact commands.

CPU seconds are the number to compare recipes on a shared machine (wall-clock there depends on the
neighbours); the README's figure is the wall-clock of a quiet machine.

Example: python tools/time_main_job.py --seeds 0 1 2 --out output/time_main_job
"""
from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Sequence

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from svit.config.errors import ConfigError  # noqa: E402  (after the path above)
from svit.run_folder import PER_CLASS_ACCURACY_FILE, TEST_RESULTS_FILE  # noqa: E402

DEFAULT_CFG = "configs/synthetic/svit_tiny.yaml"
# Class pairs of the synthetic dataset that differ only in temporal order (svit/data/synthetic/classes.py),
# plus shaking vs holding (motion only): a single frame cannot tell them apart.
ORDER_PAIRS = ((0, 1), (2, 3), (4, 5), (6, 7), (8, 9), (10, 11))


def children_cpu_seconds() -> float:
    """User + sys seconds of every finished, waited-for child process and their descendants."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def read_results(run_dir: Path) -> dict[str, Any]:
    """top1 / top5 / mean class accuracy and the per-class accuracy (class index -> %) of one run."""
    path = run_dir / TEST_RESULTS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: the run did not finish its test (see its log)")
    res = json.loads(path.read_text())
    out = {k: float(res[k]) for k in ("top1", "top5", "mean_class_accuracy")}
    per_class: dict[int, float] = {}
    names: dict[int, str] = {}
    csv_path = run_dir / PER_CLASS_ACCURACY_FILE
    if csv_path.is_file():
        with open(csv_path, newline="") as f:
            for row in csv.DictReader(f):
                per_class[int(row["class_index"])] = float(row["accuracy"])
                names[int(row["class_index"])] = row["class_name"]
    out["per_class"] = per_class
    out["pairs"] = [
        {"classes": [names.get(a, str(a)), names.get(b, str(b))], "accuracy": [per_class.get(a), per_class.get(b)]}
        for a, b in ORDER_PAIRS
        if a in per_class and b in per_class
    ]
    return out


def time_command(cmd: Sequence[str], log_path: Path) -> dict[str, Any]:
    """Runs ``cmd`` (output to ``log_path``); its wall and CPU seconds and the load average around it."""
    load_before = os.getloadavg()[0]
    cpu0, t0 = children_cpu_seconds(), time.perf_counter()
    with open(log_path, "w") as log:
        code = subprocess.run(list(cmd), stdout=log, stderr=subprocess.STDOUT, cwd=REPO).returncode
    wall = time.perf_counter() - t0
    cpu = children_cpu_seconds() - cpu0
    return {"exit_code": code, "wall_s": wall, "cpu_s": cpu, "load_before": load_before,
            "load_after": os.getloadavg()[0]}


def aggregate(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """mean / min / max of the timed and measured numbers over the successful rows."""
    ok = [r for r in rows if r.get("exit_code") == 0 and "top1" in r]
    out: dict[str, dict[str, float]] = {}
    for key in ("wall_s", "cpu_s", "top1", "top5", "mean_class_accuracy"):
        vals = [float(r[key]) for r in ok]
        if vals:
            out[key] = {"mean": statistics.fmean(vals), "min": min(vals), "max": max(vals)}
    return out


def verdict(rows: list[dict[str, Any]], top1: float, wall: float) -> bool:
    """True when every seed finished with top-1 >= ``top1`` within ``wall`` seconds."""
    return bool(rows) and all(
        r.get("exit_code") == 0 and r.get("top1", -1) >= top1 and r["wall_s"] <= wall for r in rows
    )


def markdown(summary: dict[str, Any]) -> str:
    m = summary["machine"]
    lines = [
        f"# Main job timing ({summary['date']})",
        "",
        f"{m['cpus']} CPUs, torch {m['torch']}, commit {m['commit']}",
        "",
        "| seed | wall s | CPU s | load before -> after | top-1 | top-5 | mean class acc |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in summary["runs"]:
        if r.get("exit_code") != 0 or "top1" not in r:
            failed = f"failed (exit {r['exit_code']})"
            lines.append(f"| {r['seed']} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | | {failed} | | |")
            continue
        lines.append(
            f"| {r['seed']} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | {r['load_before']:.2f} -> {r['load_after']:.2f} "
            f"| {r['top1']:.1f} | {r['top5']:.1f} | {r['mean_class_accuracy']:.1f} |"
        )
    for key, agg in summary["aggregate"].items():
        lines.append(f"\n{key}: mean {agg['mean']:.2f}, min {agg['min']:.2f}, max {agg['max']:.2f}")
    lines += ["", "Per-class accuracy (%) of the pairs told apart only by temporal order / motion:", ""]
    for r in summary["runs"]:
        for p in r.get("pairs", []):
            lines.append(f"- seed {r['seed']}: {p['classes'][0]} {p['accuracy'][0]:.1f} / "
                         f"{p['classes'][1]} {p['accuracy'][1]:.1f}")
    t = summary["target"]
    met = "met" if t["met"] else "NOT met"
    lines += ["", f"Target top-1 >= {t['top1']} in <= {t['wall_s']} s on every seed: {met}",
              "", "Commands:", ""] + [f"    {c}" for c in summary["commands"]]
    return "\n".join(lines) + "\n"


def machine_info() -> dict[str, Any]:
    import torch

    from svit.utils.run_info import git_state

    commit, dirty = git_state()
    label = f"{commit[:7]}{' (dirty)' if dirty else ''}" if commit else "unknown"
    return {"cpus": os.cpu_count(), "torch": torch.__version__, "python": platform.python_version(),
            "commit": label, "torch_threads": torch.get_num_threads()}


def ensure_dataset(cfg_file: str, opts: Sequence[str]) -> str:
    """Generates the synthetic dataset of the config (if not cached) before anything is timed."""
    from svit.config import load_config
    from svit.data.synthetic.cache import ensure_synthetic_dataset

    return ensure_synthetic_dataset(load_config(cfg_file, list(opts)))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="RNG_SEED of each timed run")
    p.add_argument("--out", default="output/time_main_job", help="folder of the runs and the summary (must be new)")
    p.add_argument("--cfg", default=DEFAULT_CFG, help="the job's config (the README's main job by default)")
    p.add_argument("--target-top1", type=float, default=95.0, help="top-1 (%%) every seed must reach")
    p.add_argument("--target-wall", type=float, default=180.0, help="wall seconds every seed must stay under")
    p.add_argument("opts", nargs=argparse.REMAINDER, help="KEY VALUE overrides passed to every run")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        print(f"--out {out} already holds files; pick a new folder (nothing is overwritten)", file=sys.stderr)
        return 2
    try:  # a wrong --cfg or override is one line, before any folder is made
        root = ensure_dataset(args.cfg, args.opts)
    except ConfigError as e:
        print(f"Config error: {e}", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    print(f"dataset ready (not timed): {root}", flush=True)
    rows, commands = [], []
    for seed in args.seeds:
        run_dir = (out / f"seed_{seed}").resolve()
        cmd = [sys.executable, "tools/run_net.py", "--cfg", args.cfg, "RNG_SEED", str(seed),
               "OUTPUT_DIR", str(run_dir), *args.opts]
        commands.append(" ".join(cmd))
        row: dict[str, Any] = {"seed": seed, **time_command(cmd, out / f"seed_{seed}.log")}
        if row["exit_code"] == 0:
            row.update(read_results(run_dir))
        rows.append(row)
        print(f"seed {seed}: exit {row['exit_code']} wall {row['wall_s']:.1f}s cpu {row['cpu_s']:.1f}s "
              f"load {row['load_before']:.2f}->{row['load_after']:.2f} top1 {row.get('top1', float('nan')):.1f}",
              flush=True)
    summary = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "config": args.cfg,
        "opts": list(args.opts),
        "runs": rows,
        "aggregate": aggregate(rows),
        "target": {"top1": args.target_top1, "wall_s": args.target_wall,
                   "met": verdict(rows, args.target_top1, args.target_wall)},
        "commands": commands,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    (out / "summary.md").write_text(markdown(summary))
    print((out / "summary.md").read_text())
    return 0 if all(r["exit_code"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
