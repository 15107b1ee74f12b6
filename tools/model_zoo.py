#!/usr/bin/env python
"""MODEL_ZOO.md, generated from the configs so that it cannot drift.

    python tools/model_zoo.py                 # build every config, count FLOPs not yet cached, write MODEL_ZOO.md
    python tools/model_zoo.py --check         # CI: every config still builds and MODEL_ZOO.md is up to date
    python tools/model_zoo.py --no-flops      # write the file with the cached FLOPs only (fast)

One row per model config (every ``configs/**/*.yaml`` except ``configs/datasets/``, ``_base*`` files
and folders): the model, the dataset (the ``configs/datasets/<name>.yaml`` it builds on, else
TRAIN.DATASET), frames x crops x clips of the test, the parameters (counted by building the model),
fvcore GFLOPs of one test view, the number the paper reports with its source, and the weights
file the config expects (``configs/model_zoo_meta.yaml``; else TRAIN.CHECKPOINT_FILE_PATH).

Cost: models are built on PyTorch's meta device when they allow it (no memory, no compute), else
on the CPU. FLOPs by default are the multiply-adds that ``torch.utils.flop_counter`` counts on the
meta device (seconds per model, also for EVA-E/14 at 4.4 B parameters; they agree with fvcore,
e.g. 44.16 vs 44.23 GFLOPs for I3D-Inception f8 on K400, fvcore adding the normalisation layers) and are
marked with a dagger; ``--fvcore`` replaces them with fvcore's trace on the CPU (seconds to minutes
per model on a laptop; models above ``--max-cpu-params`` stay on meta), as do models that cannot be
built on the meta device. Counts are cached in ``docs/model_zoo_flops.json`` keyed by a hash of the
model-defining config keys (and checked against the parameter count): an unchanged model is never
recounted. ``--check`` never counts FLOPs: it rebuilds every model and regenerates the file from
the cache; any difference fails.
"""
from __future__ import annotations

import argparse
import contextlib
import glob
import hashlib
import io
import json
import logging
import os
import sys
import warnings

import torch
import yaml

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from svit.config import load_config  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Config sections that do not change the network (hashing them would recount FLOPs for nothing).
NOT_MODEL = {"TRAIN", "TEST", "SOLVER", "DATA_LOADER", "AUG", "MIXUP", "TENSORBOARD", "LIST_DATA", "SSV2",
             "SYNTHETIC", "MODEL_EMA", "IMAGE_TRAIN", "BN", "OUTPUT_DIR", "RNG_SEED", "LOG_PERIOD", "NUM_GPUS",
             "NUM_SHARDS", "SHARD_ID", "DETERMINISTIC", "WANDB", "SVMIX", "NUM_CPU_PROCS", "LOG_MODEL_INFO"}
DATA_MODEL_KEYS = ("NUM_FRAMES", "TEST_CROP_SIZE", "INPUT_CHANNEL_NUM")
DATASET_NAMES = {"ssv1", "ssv2", "k400", "mini_k400", "mini_ssv2", "ucf101", "diving48", "egtea"}
HEADER = ["config", "model", "dataset", "frames x crops x clips", "params (M)", "GFLOPs / view", "paper",
          "source", "weights"]


def model_configs(configs_dir: str) -> list[str]:
    """Model configs under ``configs_dir`` (sorted, relative to it)."""
    out = []
    for path in glob.glob(os.path.join(configs_dir, "**", "*.yaml"), recursive=True):
        rel = os.path.relpath(path, configs_dir).replace(os.sep, "/")
        parts = rel.split("/")
        if parts[0] == "datasets" or any(p.startswith("_") for p in parts) or parts[-1] == "model_zoo_meta.yaml":
            continue
        out.append(rel)
    return sorted(out)


def dataset_of(path: str, cfg) -> str:
    """The configs/datasets/<name>.yaml a config builds on (following _BASE_), else TRAIN.DATASET."""
    seen = set()
    while path and path not in seen:
        seen.add(path)
        with open(path, encoding="utf-8") as f:
            base = (yaml.safe_load(f) or {}).get("_BASE_")
        if not base:
            break
        path = os.path.normpath(os.path.join(os.path.dirname(path), base))
        stem = os.path.splitext(os.path.basename(path))[0]
        if os.path.basename(os.path.dirname(path)) == "datasets" or stem in DATASET_NAMES:
            return stem  # configs/datasets/<name>.yaml, or a family's own base named after its dataset
    return f"{cfg.TRAIN.DATASET} ({cfg.MODEL.NUM_CLASSES} classes)"


def model_key(cfg) -> str:
    """Hash of the keys that define the network and one test view."""
    tree = {k: v for k, v in yaml.safe_load(cfg.dump()).items() if k not in NOT_MODEL}
    tree["DATA"] = {k: tree.get("DATA", {}).get(k) for k in DATA_MODEL_KEYS}
    if int(cfg.DATA.FRAMES_PER_SEGMENT) != 1:  # snippets (H2CN): more input frames per view
        tree["DATA"]["FRAMES_PER_SEGMENT"] = int(cfg.DATA.FRAMES_PER_SEGMENT)
    return hashlib.sha1(json.dumps(tree, sort_keys=True, default=str).encode()).hexdigest()[:16]


@contextlib.contextmanager
def quiet():
    """Silences warnings and the chatty loggers of model builders while counting."""
    logging.disable(logging.WARNING)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(logging.NOTSET)


def build(cfg) -> tuple[torch.nn.Module, bool]:
    """(model, on_meta): on the meta device when the builder allows it, else on the CPU."""
    from svit.models import build_model

    try:
        with torch.device("meta"):
            return build_model(cfg), True
    except Exception:  # noqa: BLE001 - builders that compute on tensors at init cannot run on meta
        return build_model(cfg), False


def view_input(cfg) -> torch.Tensor:
    """One test view ``(1, C, T, S, S)``: T = DATA.NUM_FRAMES x DATA.FRAMES_PER_SEGMENT input frames
    (H2CN's snippets), S = DATA.TEST_CROP_SIZE."""
    s = int(cfg.DATA.TEST_CROP_SIZE)
    return torch.zeros(1, int(cfg.DATA.INPUT_CHANNEL_NUM[0]), input_frames(cfg), s, s)


def input_frames(cfg) -> int:
    return int(cfg.DATA.NUM_FRAMES) * max(1, int(cfg.DATA.FRAMES_PER_SEGMENT))


def count_flops(cfg, model: torch.nn.Module, on_meta: bool, max_cpu_params: int, use_fvcore: bool) -> tuple[float, str]:
    """(GFLOPs of one view, method): ``meta`` = multiply-adds counted by ``torch.utils.flop_counter``
    on the meta device (seconds, no memory); ``fvcore`` = fvcore's trace on the CPU (slow, used
    with --fvcore, and for models that cannot be built on the meta device)."""
    from svit.utils.model_stats import count_params, gflops

    params = count_params(model)[0]
    if on_meta and not (use_fvcore and params <= max_cpu_params):
        from torch.utils.flop_counter import FlopCounterMode

        counter = FlopCounterMode(display=False)
        with counter, torch.no_grad():
            model.eval()(view_input(cfg).to("meta"))
        return counter.get_total_flops() / 2 / 1e9, "meta"  # multiply-adds: fvcore's unit
    if params > max_cpu_params:
        raise RuntimeError(f"{params / 1e9:.1f} B parameters: too large to trace on the CPU and not buildable on meta")
    if on_meta:
        from svit.models import build_model

        model = build_model(cfg)
    return gflops(model.eval(), view_input(cfg)), "fvcore"


def read_meta(configs_dir: str) -> dict:
    path = os.path.join(configs_dir, "model_zoo_meta.yaml")
    if not os.path.isfile(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f) or {}


def save_cache(path: str, cache: dict) -> None:
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(cache, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def collect(configs_dir: str, cache: dict, flops: bool, max_cpu_params: int, only: str = "",
            cache_path: str = "", use_fvcore: bool = False) -> tuple[list, list]:
    """(rows, errors) for every model config; updates ``cache`` in place (saved after every count,
    so an interrupted run keeps what it counted)."""
    from svit.utils.model_stats import count_params

    rows, errors = [], []
    meta = read_meta(configs_dir)
    for name in meta:
        if not os.path.isfile(os.path.join(configs_dir, name)):
            errors.append(f"configs/model_zoo_meta.yaml names {name}, which does not exist")
    for rel in model_configs(configs_dir):
        path = os.path.join(configs_dir, rel)
        try:
            with quiet():
                cfg = load_config(path, [])
                key = model_key(cfg)
                model, on_meta = build(cfg)
                params = count_params(model)[0]
                entry = cache.get(key)
                if entry is not None and entry.get("params") != params:
                    entry = None  # same keys, different network: the code changed, recount
                stale = entry is None or (use_fvcore and entry.get("method") != "fvcore")
                if flops and stale and (not only or only in rel):
                    g, method = count_flops(cfg, model, on_meta, max_cpu_params, use_fvcore)
                    entry = {"params": params, "gflops": round(g, 3), "method": method}
                    cache[key] = entry
                    if cache_path:
                        save_cache(cache_path, cache)
                del model
        except Exception as exc:  # noqa: BLE001 - every broken config is reported, then the run fails
            errors.append(f"{rel}: {type(exc).__name__}: {exc}")
            continue
        info = meta.get(rel, {})
        weights = info.get("weights") or os.path.basename(cfg.TRAIN.CHECKPOINT_FILE_PATH or "") or "—"
        wtext = f"`{weights}`" if weights != "—" else weights
        g = entry.get("gflops") if entry else None
        gtext = "not counted" if g is None else (f"{g:.1f}" if g >= 10 else f"{g:.3f}")
        gtext += " †" if entry and entry.get("method") == "meta" else ""
        rows.append([
            f"[{rel}](configs/{rel})", cfg.MODEL.MODEL_NAME, dataset_of(path, cfg),
            f"{input_frames(cfg)} x {cfg.TEST.NUM_SPATIAL_CROPS} x {cfg.TEST.NUM_ENSEMBLE_VIEWS}",
            f"{params / 1e6:.2f}", gtext, str(info.get("paper", "—")), str(info.get("source", "—")), wtext,
        ])
        print(f"{rel}: {params / 1e6:.2f} M, {gtext} GFLOPs", file=sys.stderr)
    return rows, errors


def render(rows: list) -> str:
    lines = [
        "# Model zoo",
        "",
        "Generated by `python tools/model_zoo.py` from the configs (do not edit; CI runs `--check`).",
        "Views: frames x spatial crops x temporal clips of the test. GFLOPs of one view, one multiply-add",
        "= one flop: fvcore's trace on the CPU, or, marked †, multiply-adds of convolutions, matmuls and",
        "attention counted by `torch.utils.flop_counter` on the meta device (no memory, seconds; within",
        "a fraction of a percent of fvcore, which adds normalisation layers). Paper numbers: top-1 % as reported by",
        "the source; weights: the file the config expects (TRAIN/TEST.CHECKPOINT_FILE_PATH).",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join("---" for _ in HEADER) + "|",
    ]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true", help="fail when a config does not build or the file is out of date")
    p.add_argument("--no-flops", action="store_true", help="do not count missing FLOPs (use the cache only)")
    p.add_argument("--only", default="", help="count FLOPs only for configs whose path contains this text")
    p.add_argument("--fvcore", action="store_true",
                   help="trace with fvcore on the CPU (replacing meta-device counts; slow for big models)")
    p.add_argument("--configs", default=os.path.join(REPO, "configs"), help="configs folder")
    p.add_argument("--out", default=os.path.join(REPO, "MODEL_ZOO.md"), help="generated file")
    p.add_argument("--cache", default=os.path.join(REPO, "docs", "model_zoo_flops.json"), help="FLOPs cache")
    p.add_argument("--max-cpu-params", type=int, default=1_000_000_000,
                   help="larger models are counted on the meta device instead of traced on the CPU")
    a = p.parse_args(argv)
    cache = {}
    if os.path.isfile(a.cache):
        with open(a.cache, encoding="utf-8") as f:
            cache = json.load(f)
    rows, errors = collect(a.configs, cache, flops=not (a.check or a.no_flops), max_cpu_params=a.max_cpu_params,
                           only=a.only, cache_path="" if a.check else a.cache, use_fvcore=a.fvcore)
    text = render(rows)
    if errors:
        print("model zoo: these configs do not build:\n  " + "\n  ".join(errors), file=sys.stderr)
    if a.check:
        current = open(a.out, encoding="utf-8").read() if os.path.isfile(a.out) else ""
        if current != text:
            print(f"model zoo: {a.out} is out of date: run python tools/model_zoo.py", file=sys.stderr)
            return 1
        return 1 if errors else 0
    save_cache(a.cache, cache)
    with open(a.out, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {a.out} ({len(rows)} configs)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
