"""Prints a model's parameters, trainable parameters and GFLOPs for one test view.

    python tools/model_info.py --cfg configs/X.yaml [KEY VALUE ...] [--json]

With ``--json`` stdout carries exactly one JSON object ``{"params", "trainable_params", "gflops"}``
(warnings and logs go to stderr), so scripts can parse it.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from svit.config import ConfigError, load_config  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cfg", dest="cfg_file", default=None, help="yaml config file")
    p.add_argument("--json", action="store_true", help="print one JSON object and nothing else")
    p.add_argument("--opts", nargs=argparse.REMAINDER, default=None, help="KEY VALUE overrides")
    args, rest = p.parse_known_args(argv)
    args.opts = rest + (args.opts or [])
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        cfg = load_config(args.cfg_file, args.opts)
    except ConfigError as e:
        print(f"Config error: {e}", file=sys.stderr)
        return 2
    # Builders may print; keep stdout for the result alone.
    with contextlib.redirect_stdout(sys.stderr):
        import svit.models
        from svit.utils.model_stats import model_stats

        model = svit.models.build_model(cfg)
        stats = model_stats(cfg, model)
    if args.json:
        print(json.dumps(stats))
    else:
        print(f"model:            {cfg.MODEL.MODEL_NAME}")
        print(f"params:           {stats['params']:,} ({stats['params'] / 1e6:.2f} M)")
        print(f"trainable params: {stats['trainable_params']:,}")
        print(f"GFLOPs (1 view):  {stats['gflops']:.3f}  input (1, C={cfg.DATA.INPUT_CHANNEL_NUM[0]}, "
              f"T={cfg.DATA.NUM_FRAMES}, {cfg.DATA.TEST_CROP_SIZE}, {cfg.DATA.TEST_CROP_SIZE})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
