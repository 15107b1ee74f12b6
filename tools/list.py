#!/usr/bin/env python
"""List what exists: registered models, tasks, hooks, datasets, losses, checkpoint adapters, test
metrics, and the shipped configs with their model and size.

    python tools/list.py models
    python tools/list.py configs [--dir configs/cnn] [--json [PATH]]
    python tools/list.py all

Config sizes are parameter counts of the model each config builds (built on PyTorch's ``meta``
device: no memory, no weights); dataset-only fragments (``configs/datasets``, ``_base`` folders) are
listed without a model. The first listing loads and builds every config (about half a minute for the
~200 shipped ones on 2 cores) and prints each row as it is known; the rows are cached, and a listing
with unchanged configs and code takes about a second (``--no-cache`` builds everything afresh).
"""
from __future__ import annotations

import argparse
import glob
import os
import sys
import warnings
from typing import Any, Iterator

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KINDS = ("models", "tasks", "hooks", "datasets", "losses", "adapters", "metrics", "configs")


def registries() -> dict[str, Any]:
    """Every registry, filled by ``load_parts`` (svit's parts and the installed svit.plugins entry points)."""
    from svit.config.parts import load_parts
    from svit.data.registry import DATASET_REGISTRY
    from svit.engine.hooks import HOOK_REGISTRY
    from svit.engine.metrics import METRIC_REGISTRY
    from svit.engine.tasks.registry import TASK_REGISTRY
    from svit.losses.registry import LOSS_REGISTRY
    from svit.models.adapters import ADAPTER_REGISTRY
    from svit.models.registry import MODEL_REGISTRY

    load_parts()
    return {"models": MODEL_REGISTRY, "tasks": TASK_REGISTRY, "hooks": HOOK_REGISTRY,
            "datasets": DATASET_REGISTRY, "losses": LOSS_REGISTRY, "adapters": ADAPTER_REGISTRY,
            "metrics": METRIC_REGISTRY}


def describe(obj: Any) -> str:
    """First line of an object's docstring (its builder's, for registered functions)."""
    doc = (getattr(obj, "__doc__", None) or "").strip()
    return doc.splitlines()[0] if doc else ""


def list_registry(kind: str) -> list[dict[str, str]]:
    reg = registries()[kind]
    return [{"name": name, "about": describe(reg.get(name))} for name in reg.names()]


def count_parameters(cfg) -> int:
    """Parameters of the model ``cfg`` builds, on the meta device (falls back to CPU)."""
    import torch

    from svit.models import build_model

    try:
        with torch.device("meta"):
            model = build_model(cfg)
    except Exception:  # an initialiser that needs real values
        model = build_model(cfg)
    return sum(p.numel() for p in model.parameters())


def config_row(path: str) -> dict[str, Any]:
    """Model name, classes, frames and parameters of one config (or why not): loads it and builds it."""
    from svit.config import load_config

    fragment = "/datasets/" in path or "/_base/" in path
    row: dict[str, Any] = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cfg = load_config(path)
        row.update(model=cfg.MODEL.MODEL_NAME, num_classes=cfg.MODEL.NUM_CLASSES, frames=cfg.DATA.NUM_FRAMES)
        if fragment:
            row.update(model=None, params=None, note="dataset/base fragment")
        else:
            row["params"] = count_parameters(cfg)
    except Exception as e:  # a broken config is listed with its error, the rest still print
        row.update(params=None, note=f"error: {type(e).__name__}: {e}"[:200])
    return row


def iter_configs(root: str, use_cache: bool = True) -> Iterator[dict[str, Any]]:
    """Each yaml under ``root``, one row at a time (so a listing prints as it goes): model name, number
    of classes and parameters, from the cache (``svit.utils.config_index``) when neither the config
    nor the code changed since it was last listed."""
    from svit.utils.config_index import ConfigIndexCache, config_key

    cache = ConfigIndexCache() if use_cache else None
    try:
        for path in sorted(glob.glob(os.path.join(root, "**", "*.yaml"), recursive=True)):
            rel = os.path.relpath(path, REPO) if path.startswith(REPO) else path
            key = config_key(path) if cache is not None else ""
            row = cache.get(key) if cache is not None else None
            if row is None:
                # the weights catalogue is code (svit/weights/entries.py): cached with the row, so a
                # cached listing need not import svit.weights (which imports torch)
                row = {**config_row(path), "weights": released_weights(rel)}
                if cache is not None and not depends_on_environment(row):
                    cache.put(key, row)
            yield {"config": rel, **row}
    finally:
        if cache is not None:
            cache.save()


# Errors that come from this machine (a missing optional package or file), not from the config and the
# code: their rows are recomputed every time. Any other error is as cacheable as a size.
ENVIRONMENT_ERRORS = ("ImportError", "ModuleNotFoundError", "OSError", "FileNotFoundError", "PermissionError",
                      "RuntimeError", "MemoryError")


def depends_on_environment(row: dict[str, Any]) -> bool:
    return any(str(row.get("note", "")).startswith(f"error: {name}:") for name in ENVIRONMENT_ERRORS)


def list_configs(root: str, use_cache: bool = True) -> list[dict[str, Any]]:
    """Every row of ``iter_configs``."""
    return list(iter_configs(root, use_cache))


def released_weights(rel: str) -> list[str]:
    """Catalogue names of the released weights a config can use (svit/weights; tools/download.py --list)."""
    from svit.weights import entries_for_config

    return [e.name for e in entries_for_config(rel)]


def print_config_row(r: dict[str, Any]) -> None:
    size = f"{r['params'] / 1e6:9.2f} M" if r.get("params") else " " * 11
    what = f"{r.get('model') or '-':<12} K={r.get('num_classes', '?'):<5} T={r.get('frames', '?'):<3}"
    weights = f"weights: {', '.join(r['weights'])}" if r.get("weights") else ""
    print(f"  {r['config']:<52} {size}  {what} {r.get('note', '')} {weights}".rstrip(), flush=True)


def print_rows(kind: str, rows: list[dict[str, Any]]) -> None:
    print(f"{kind} ({len(rows)}):")
    if kind == "configs":
        for r in rows:
            print_config_row(r)
        return
    width = max((len(r["name"]) for r in rows), default=0)
    for r in rows:
        print(f"  {r['name']:<{width}}  {r['about']}".rstrip())


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", nargs="?", default="all", choices=KINDS + ("all",), help="what to list (default: all)")
    p.add_argument("--dir", default=os.path.join(REPO, "configs"), help="folder searched for configs (recursive)")
    p.add_argument("--json", nargs="?", const="-", default=None, metavar="PATH",
                   help="print JSON instead of text, or write it to PATH")
    p.add_argument("--no-cache", action="store_true",
                   help="load and build every config afresh (default: reuse $SVIT_CACHE/list_configs.json "
                        "for configs and code unchanged since they were last listed)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    kinds = KINDS if args.what == "all" else (args.what,)
    if args.json is None and kinds == ("configs",):  # text: each row as soon as it is known
        print(f"configs under {os.path.relpath(args.dir, REPO) if args.dir.startswith(REPO) else args.dir}:",
              flush=True)
        n = 0
        for n, row in enumerate(iter_configs(args.dir, not args.no_cache), 1):
            print_config_row(row)
        print(f"({n} configs)")
        return 0
    out = {k: (list_configs(args.dir, not args.no_cache) if k == "configs" else list_registry(k)) for k in kinds}
    if args.json is not None:
        from svit.utils.cli import write_json

        write_json(out if len(kinds) > 1 else out[kinds[0]], args.json)
        return 0
    for k in kinds:
        print_rows(k, out[k])
    return 0


if __name__ == "__main__":
    sys.exit(main())
