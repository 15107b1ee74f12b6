#!/usr/bin/env python
"""MODEL_ZOO.md, generated from the configs so that it cannot drift.

    python tools/model_zoo.py                 # build every config, count FLOPs not yet cached, write MODEL_ZOO.md
    python tools/model_zoo.py --check         # CI: every config still builds and MODEL_ZOO.md is up to date
    python tools/model_zoo.py --no-flops      # write the file with the cached FLOPs only (fast)

One row per model config (every ``configs/**/*.yaml`` except ``configs/datasets/``, ``_base*`` files
and folders): the model, the dataset (the ``configs/datasets/<name>.yaml`` it builds on, else
TRAIN.DATASET), frames x crops x clips of the test, the parameters (counted by building the model),
fvcore GFLOPs of one test view, the GFLOPs and the top-1 the paper reports with their sources, and the weights:
the catalogue names the config can use (svit/weights/entries.py; ``python tools/download.py --list``), else
the file the config expects (``configs/model_zoo_meta.yaml``; else TRAIN.CHECKPOINT_FILE_PATH).

Cost: parameters are counted on PyTorch's meta device when the builder allows it (no memory, no
compute). FLOPs are fvcore's trace (``svit.utils.flops.flop_count``, with the op handles that
fvcore's table lacks: fused attention, broadcast matmul, baddbmm, 1-D/3-D resampling) of one view on
``--device`` (cpu by default; ``--device cuda`` builds the model on the GPU and traces it there, the
way to count models too large for the CPU, e.g. the 4.5 B-parameter EVA-E/14 of Side4Video). A
trace that leaves an op neither counted nor on the list of ops fvcore's convention does not count
(``NOT_COUNTED``) fails, naming the op. ``--meta`` counts with ``torch.utils.flop_counter`` on the
meta device instead (seconds for any size; marked with a dagger in the file; a quick estimate, not
what the zoo ships). Counts are cached in ``docs/model_zoo_flops.json`` keyed by a hash of the
model-defining config keys (and checked against the parameter count): an unchanged model is never
recounted. ``--check`` never counts FLOPs: it rebuilds every model on the meta device and
regenerates the file from the cache; any difference fails.
"""
from __future__ import annotations

import argparse
import contextlib
import functools
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

from svit.config import get_cfg, load_config  # noqa: E402
from svit.config.legacy import RENAMED_KEYS  # noqa: E402
from svit.models.input_size import input_frames, test_view_input  # noqa: E402
from svit.utils.flops import count_params, flop_count  # noqa: E402
from svit.weights import WEIGHT_KEYS, entries_for_config  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CACHE = os.path.join(REPO, "docs", "model_zoo_flops.json")
# Config sections that do not change the network (hashing them would recount FLOPs for nothing).
NOT_MODEL = {"TRAIN", "TEST", "SOLVER", "DATA_LOADER", "AUG", "MIXUP", "TENSORBOARD", "LIST_DATA", "SSV2",
             "SYNTHETIC", "MODEL_EMA", "IMAGE_TRAIN", "BN", "OUTPUT_DIR", "RNG_SEED", "LOG_PERIOD", "NUM_GPUS",
             "NUM_SHARDS", "SHARD_ID", "DETERMINISTIC", "WANDB", "SVMIX", "NUM_CPU_PROCS", "LOG_MODEL_INFO",
             "PLUGINS"}
DATA_MODEL_KEYS = ("NUM_FRAMES", "TEST_CROP_SIZE", "INPUT_CHANNEL_NUM")
DATASET_NAMES = {"ssv1", "ssv2", "k400", "mini_k400", "mini_ssv2", "ucf101", "diving48", "egtea"}
# Keys renamed in svit (svit/config/legacy.py RENAMED_KEYS, one new name each): new dotted name -> old.
# Where the keys list beside the cache holds the old name (the cache was keyed before the rename), the
# key is hashed under it, so a rename leaves every cached hash, and FLOPs count, as it was.
HASHED_AS = {new[0]: old for old, new in RENAMED_KEYS.items() if len(new) == 1}
HEADER = ["config", "model", "dataset", "frames x crops x clips", "params (M)", "GFLOPs / view", "paper GFLOPs",
          "paper", "source", "weights"]


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


def plain(node):
    """The config as plain dicts and lists, equal to ``yaml.safe_load(cfg.dump())`` (what the cache
    keys were first hashed from) without the YAML round trip, the slow part of ``--check``."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [plain(v) for v in node]
    return node


def hashed_keys_file(cache_path: str) -> str:
    """The list of dotted keys the cached hashes were made from, beside the cache."""
    return os.path.splitext(cache_path)[0] + "_keys.txt"


@functools.lru_cache(maxsize=None)
def read_hashed_keys(path: str) -> frozenset[str]:
    if not os.path.isfile(path):
        return frozenset()
    with open(path, encoding="utf-8") as f:
        return frozenset(line.strip() for line in f if line.strip() and not line.startswith("#"))


def drop_new_default_keys(tree: dict, defaults: dict, known: frozenset[str], prefix: str = "") -> dict:
    """``tree`` without the keys added since the cache was keyed (not in ``known``) that sit at their
    default: a new option's default keeps the network it had before the option existed, so it must not
    re-key (and, for the models too large for the CPU, un-count) every cached model. A new key set to
    another value is hashed and recounted."""
    out = {}
    for key, value in tree.items():
        path, default = f"{prefix}{key}", defaults.get(key)
        if isinstance(value, dict):
            out[key] = drop_new_default_keys(value, default if isinstance(default, dict) else {}, known, path + ".")
        elif not known or path in known or value != default:
            out[key] = value
    return out


def hashed_names(tree: dict, known: frozenset[str]) -> dict:
    """``tree`` with each renamed key (``HASHED_AS``) back under the old name, where ``known`` (the
    keys the cache was keyed by) lists that name."""
    for new, old in HASHED_AS.items():
        (new_section, new_leaf), (old_section, old_leaf) = new.split(".", 1), old.split(".", 1)
        if old in known and new_leaf in tree.get(new_section, {}):
            tree.setdefault(old_section, {})[old_leaf] = tree[new_section].pop(new_leaf)
    return tree


@functools.lru_cache(maxsize=None)
def default_tree(known: frozenset[str]) -> dict:
    """The defaults as ``model_key`` hashes a config (renamed keys under their old names)."""
    return hashed_names(plain(get_cfg()), known)


def model_key(cfg, known: frozenset[str] | None = None) -> str:
    """Hash of the keys that define the network and one test view; keys outside ``known`` (default: the
    list beside the default cache) count only where they differ from their default."""
    if known is None:
        known = read_hashed_keys(hashed_keys_file(DEFAULT_CACHE))
    tree = hashed_names({k: v for k, v in plain(cfg).items() if k not in NOT_MODEL}, known)
    tree = drop_new_default_keys(tree, default_tree(known), known)
    for key in WEIGHT_KEYS:  # which weights a model starts from does not change its FLOPs: hashed as unset
        section, _, leaf = key.partition(".")
        if leaf in tree.get(section, {}):
            tree[section][leaf] = ""
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


class _NoMetaInit(torch.overrides.TorchFunctionMode):
    """Skips in-place initialisation of meta tensors (they hold no values; PyTorch would still run
    each init through its Python reference kernels, a third of the time a meta build takes)."""

    SKIP = {torch.Tensor.normal_, torch.Tensor.uniform_, torch.Tensor.fill_, torch.Tensor.zero_,
            torch.Tensor.copy_, torch.Tensor.erfinv_, torch.Tensor.clamp_, torch.Tensor.mul_, torch.Tensor.add_}

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func in self.SKIP and args and isinstance(args[0], torch.Tensor) and args[0].is_meta:
            return args[0]
        return func(*args, **(kwargs or {}))


def build(cfg) -> tuple[torch.nn.Module, bool]:
    """(model, on_meta): on the meta device when the builder allows it, else on the CPU."""
    from svit.models import build_model

    try:
        with torch.device("meta"), _NoMetaInit():
            return build_model(cfg), True
    except Exception:  # noqa: BLE001 - builders that compute on tensors at init cannot run on meta
        return build_model(cfg), False


def meta_gflops(cfg, model: torch.nn.Module) -> float:
    """Multiply-adds that ``torch.utils.flop_counter`` counts for one view on the meta device."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model.eval()(test_view_input(cfg).to("meta"))
    return counter.get_total_flops() / 2 / 1e9  # multiply-adds: fvcore's unit


def fvcore_gflops(cfg, device: str) -> float:
    """fvcore GFLOPs of one view, the model built (initialised) directly on ``device`` and traced
    there; fails naming any op that fvcore left uncounted."""
    from svit.models import build_model

    try:
        with torch.device(device):
            model = build_model(cfg)
    except Exception:  # noqa: BLE001 - a builder that mixes devices: build on the CPU, then move
        model = build_model(cfg)
    report = flop_count(model.to(device), test_view_input(cfg).to(device))
    del model
    if report.uncounted:
        raise RuntimeError(f"fvcore has no handle for {sorted(report.uncounted)}: register one in "
                           "svit/utils/flops.py OP_HANDLES (or NOT_COUNTED if it has no multiply-adds)")
    return report.total / 1e9


def count_flops(cfg, model: torch.nn.Module, on_meta: bool, max_cpu_params: int, device: str = "cpu",
                use_meta: bool = False) -> tuple[float, str]:
    """(GFLOPs of one view, method): ``fvcore`` (the default) or, with ``use_meta``, ``meta``."""

    if use_meta:
        if not on_meta:
            raise RuntimeError("the builder cannot run on the meta device: count without --meta")
        return meta_gflops(cfg, model), "meta"
    params = count_params(model)[0]
    if device == "cpu" and params > max_cpu_params:
        raise RuntimeError(f"{params / 1e9:.1f} B parameters: too large to trace on the CPU "
                           "(--max-cpu-params); count it with --device cuda")
    return fvcore_gflops(cfg, device), "fvcore"


def read_meta(configs_dir: str) -> dict:
    path = os.path.join(configs_dir, "model_zoo_meta.yaml")
    if not os.path.isfile(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f) or {}


def paper_gflops(info: dict) -> str:
    """The GFLOPs per view a source reports (model_zoo_meta.yaml ``gflops``), with the source and,
    where the count disagrees, why."""
    if "gflops" not in info:
        return "—"
    why = "; ".join(str(info[k]) for k in ("gflops_source", "gflops_note") if info.get(k))
    return f"{info['gflops']} ({why})" if why else str(info["gflops"])


def weights_cell(rel: str, info: dict, cfg) -> str:
    """The catalogue names ``rel`` can use (any weights key takes them), else the file the config
    expects (model_zoo_meta.yaml ``weights``, else TRAIN.CHECKPOINT_FILE_PATH), else a dash."""
    names = [e.name for e in entries_for_config(rel)]
    if names:
        return ", ".join(f"`{n}`" for n in names)
    weights = info.get("weights") or os.path.basename(cfg.TRAIN.CHECKPOINT_FILE_PATH or "")
    return f"`{weights}`" if weights else "—"


def save_cache(path: str, cache: dict) -> None:
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(cache, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def collect(configs_dir: str, cache: dict, flops: bool, max_cpu_params: int, only: str = "",
            cache_path: str = "", device: str = "cpu", use_meta: bool = False,
            used: set | None = None, known: frozenset[str] | None = None) -> tuple[list, list]:
    """(rows, errors) for every model config; updates ``cache`` in place (saved after every count,
    so an interrupted run keeps what it counted) and adds the keys the configs use to ``used``."""

    rows, errors = [], []
    used = set() if used is None else used
    meta = read_meta(configs_dir)
    for name in meta:
        if not os.path.isfile(os.path.join(configs_dir, name)):
            errors.append(f"configs/model_zoo_meta.yaml names {name}, which does not exist")
    for rel in model_configs(configs_dir):
        path = os.path.join(configs_dir, rel)
        try:
            with quiet():
                cfg = load_config(path, [])
                key = model_key(cfg, known)
                model, on_meta = build(cfg)
                params = count_params(model)[0]
                used.add(key)
                entry = cache.get(key)
                if entry is not None and entry.get("params") != params:
                    entry = None  # same keys, different network: the code changed, recount
                stale = entry is None or (not use_meta and entry.get("method") != "fvcore")
                if flops and stale and (not only or only in rel):
                    try:
                        g, method = count_flops(cfg, model, on_meta, max_cpu_params, device, use_meta)
                    except Exception as exc:  # noqa: BLE001 - the row keeps its cached count; the run fails
                        errors.append(f"{rel}: FLOPs not counted: {type(exc).__name__}: {exc}")
                    else:
                        entry = {"params": params, "gflops": round(g, 3), "method": method}
                        cache[key] = entry
                        if cache_path:
                            save_cache(cache_path, cache)
                del model
        except Exception as exc:  # noqa: BLE001 - every broken config is reported, then the run fails
            errors.append(f"{rel}: {type(exc).__name__}: {exc}")
            continue
        info = meta.get(rel, {})
        wtext = weights_cell(rel, info, cfg)
        g = entry.get("gflops") if entry else None
        gtext = "not counted" if g is None else (f"{g:.1f}" if g >= 10 else f"{g:.3f}")
        gtext += " †" if entry and entry.get("method") == "meta" else ""
        rows.append([
            f"[{rel}](configs/{rel})", cfg.MODEL.MODEL_NAME, dataset_of(path, cfg),
            f"{input_frames(cfg)} x {cfg.TEST.NUM_SPATIAL_CROPS} x {cfg.TEST.NUM_ENSEMBLE_VIEWS}",
            f"{params / 1e6:.2f}", gtext, paper_gflops(info), str(info.get("paper", "—")),
            str(info.get("source", "—")), wtext,
        ])
        print(f"{rel}: {params / 1e6:.2f} M, {gtext} GFLOPs", file=sys.stderr)
    return rows, errors


def render(rows: list) -> str:
    lines = [
        "# Model zoo",
        "",
        "Generated by `python tools/model_zoo.py` from the configs (do not edit; CI runs `--check`).",
        "Views: frames x spatial crops x temporal clips of the test. GFLOPs of one view counted by fvcore",
        "(one multiply-add = one flop; convolutions, matmuls, attention, linear and normalisation layers;",
        "elementwise ops and pooling are not counted, the convention of the papers' own counts).",
    ]
    if any(r[5].endswith(" †") for r in rows):
        lines += ["Marked †: not fvcore, but multiply-adds of convolutions, matmuls and attention counted by",
                  "`torch.utils.flop_counter` on the meta device (`--meta`; no normalisation layers)."]
    lines += [
        "Paper GFLOPs: one view as the source reports it (the IBM CNN numbers count convolutions only).",
        "Paper numbers: top-1 % as reported by the source; weights: the released files the config can use, by",
        "catalogue name (any weights key takes them, e.g. `TRAIN.CHECKPOINT_FILE_PATH mvitv2_s_k400`; list, sources",
        "and checksums: `python tools/download.py --list`).",
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
    p.add_argument("--device", default="cpu", help="where fvcore traces the models: cpu, or cuda for the largest")
    p.add_argument("--meta", action="store_true",
                   help="count missing FLOPs with torch.utils.flop_counter on meta (fast estimate, marked †)")
    p.add_argument("--configs", default=os.path.join(REPO, "configs"), help="configs folder")
    p.add_argument("--out", default=os.path.join(REPO, "MODEL_ZOO.md"), help="generated file")
    p.add_argument("--cache", default=DEFAULT_CACHE,
                   help="FLOPs cache (keys hashed as listed in the _keys.txt file beside it)")
    p.add_argument("--max-cpu-params", type=int, default=1_000_000_000,
                   help="larger models are not traced on the CPU (count them with --device cuda)")
    a = p.parse_args(argv)
    cache = {}
    if os.path.isfile(a.cache):
        with open(a.cache, encoding="utf-8") as f:
            cache = json.load(f)
    used: set = set()
    rows, errors = collect(a.configs, cache, flops=not (a.check or a.no_flops), max_cpu_params=a.max_cpu_params,
                           only=a.only, cache_path="" if a.check else a.cache, device=a.device, use_meta=a.meta,
                           used=used, known=read_hashed_keys(hashed_keys_file(a.cache)))
    text = render(rows)
    if errors:
        print("model zoo: these configs failed:\n  " + "\n  ".join(errors), file=sys.stderr)
    if a.check:
        current = open(a.out, encoding="utf-8").read() if os.path.isfile(a.out) else ""
        if current != text:
            print(f"model zoo: {a.out} is out of date: run python tools/model_zoo.py", file=sys.stderr)
            return 1
        return 1 if errors else 0
    if not errors:  # drop the counts of models no config builds any more
        cache = {k: v for k, v in cache.items() if k in used}
    save_cache(a.cache, cache)
    with open(a.out, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {a.out} ({len(rows)} configs)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
