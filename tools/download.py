#!/usr/bin/env python
"""Released weights by name: list the catalogue, download, fetch what a recipe needs, verify.

    python tools/download.py --list                          # name, size, source, configs, cached
    python tools/download.py ViT-B/16 mvitv2_s_k400          # download (once) into the cache
    python tools/download.py https://.../model.pyth          # any URL: cached the same way
    python tools/download.py --for-config configs/side4video/ssv2/vit_b16_f8.yaml [--opts KEY VALUE ...]
    python tools/download.py --verify                        # re-hash every cached file

Every weights key (TRAIN/TEST.CHECKPOINT_FILE_PATH, TRAIN.RESUME_FROM, CNN/H2CN.IMAGENET_WEIGHTS,
SIDE4VIDEO.CLIP_WEIGHTS) takes a name from ``--list``, a URL or a path; runs download what they need
themselves, so this tool is for fetching ahead (a login node with internet, a shared cache) and for
checking. The cache is ``$SVIT_WEIGHTS_DIR``, else ``$SVIT_CACHE/weights`` (``~/.cache/svit/weights``).
``SVIT_OFFLINE=1`` turns every missing file into one line saying which URL to fetch and where to put it.
Exit status 1 when anything failed (a download, a checksum, an unknown name).
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from svit.utils.cli import add_json_arg, json_to_stdout, write_json  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIGS = os.path.join(REPO, "configs")


def _size(e) -> str:
    return f"{e.size_mb:.0f} MB" if e.size_mb else "?"


def catalogue_rows() -> list[dict]:
    """One dict per catalogue entry: what --list prints."""
    from svit.weights import all_entries, cached_path

    rows = []
    for e in all_entries():
        rows.append({
            "name": e.name, "size": _size(e), "adapter": e.adapter, "key": e.key,
            "source": e.source.split(":")[0].split("@")[0], "url": e.human_url(),
            "configs": e.config_files(CONFIGS), "cached": cached_path(e).is_file(),
            "confirmed": dict(e.confirmed), "manual": e.manual,
        })
    return rows


def print_list(rows: list[dict]) -> None:
    from svit.weights import weights_dir

    print(f"{len(rows)} weights (cache: {weights_dir()}); * = cached, manual = fetch by hand")
    w = max(len(r["name"]) for r in rows)
    for r in rows:
        cfgs = r["configs"]
        shown = ", ".join(cfgs[:2]) + (f" (+{len(cfgs) - 2})" if len(cfgs) > 2 else "") if cfgs else "-"
        mark = "*" if r["cached"] else ("manual" if r["manual"] else "")
        print(f"{mark:>6} {r['name']:<{w}}  {r['size']:>8}  {r['adapter']:<10} {r['source']:<36} {shown}")


def download(specs: list[str]) -> int:
    """Resolves each name/URL (downloading it); prints the local path or the error line."""
    from svit.weights import WeightsError, resolve

    failed = 0
    for spec in specs:
        try:
            print(f"{spec}: {resolve(spec)}")
        except WeightsError as e:
            print(f"{spec}: {e}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


def config_specs(cfg_path: str, opts: list[str]) -> list[tuple[str, str]]:
    """(key, value) of every weights key the config sets."""
    from svit.config import load_config
    from svit.weights import WEIGHT_KEYS

    cfg = load_config(cfg_path, opts)
    out = []
    for key in WEIGHT_KEYS:
        node = cfg
        for part in key.split("."):
            node = node[part]
        if node:
            out.append((key, str(node)))
    return out


def for_config(cfg_path: str, opts: list[str]) -> int:
    """Downloads every weights file the recipe's keys name; lists the catalogue's other options."""
    from svit.weights import WeightsError, entries_for_config, resolve

    specs = config_specs(cfg_path, opts)
    failed = 0
    for key, value in specs:
        try:
            print(f"{key} {value}: {resolve(value)}")
        except WeightsError as e:
            print(f"{key} {value}: {e}", file=sys.stderr)
            failed += 1
    if not specs:
        print(f"{cfg_path} sets no weights key (it trains from scratch unless you set one).")
    rel = os.path.relpath(os.path.abspath(cfg_path), CONFIGS)
    used = {v for _, v in specs}
    other = [e for e in entries_for_config(rel) if e.name not in used]
    if other:
        print("also released for this config (set the key to the name):")
        for e in other:
            print(f"  {e.key} {e.name}  ({e.adapter}; {e.note or e.source.split(':')[0]})")
    return 1 if failed else 0


def verify() -> int:
    """Re-hashes every cached file against the catalogue's or the recorded SHA-256."""
    from svit.weights import all_entries, weights_dir
    from svit.weights.cache import digest_matches, read_checksums, sha256_file

    folder = weights_dir()
    expected = {name: rec.get("sha256", "") for name, rec in read_checksums(folder).items() if isinstance(rec, dict)}
    for e in all_entries():
        if e.sha256:
            expected[e.filename] = e.sha256
    files = sorted(p for p in folder.glob("*") if p.is_file() and not p.name.endswith((".lock", ".part", ".json",
                                                                                          ".tmp")))
    bad = 0
    for p in files:
        want = expected.get(p.name, "")
        got = sha256_file(p)
        if not want:
            print(f"  ?  {p.name}: no checksum known (sha256 {got})")
        elif digest_matches(got, want):
            print(f"  ok {p.name}")
        else:
            bad += 1
            print(f"  BAD {p.name}: expected SHA-256 {want}, got {got}: delete it and download again")
    print(f"{len(files)} files in {folder}, {bad} bad")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("names", nargs="*", metavar="NAME", help="catalogue names or URLs to download")
    p.add_argument("--list", action="store_true", help="list the catalogue (name, size, source, configs, cached)")
    p.add_argument("--for-config", metavar="CFG", help="download every weights file this config's keys name")
    p.add_argument("--opts", nargs="*", default=[], metavar="KEY VALUE", help="overrides for --for-config")
    p.add_argument("--verify", action="store_true", help="re-hash every cached file against its checksum")
    add_json_arg(p, "the catalogue (--list)")
    a = p.parse_args(argv)
    if not (a.list or a.names or a.for_config or a.verify):
        p.error("give NAME..., --list, --for-config CFG or --verify")
    rc = 0
    if a.list:
        rows = catalogue_rows()
        if not json_to_stdout(a):
            print_list(rows)
        write_json(rows, a.json)
    if a.names:
        rc |= download(a.names)
    if a.for_config:
        rc |= for_config(a.for_config, a.opts)
    if a.verify:
        rc |= verify()
    return rc


if __name__ == "__main__":
    sys.exit(main())
