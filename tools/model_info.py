#!/usr/bin/env python
"""Parameters and GFLOPs of a configured model: ``python tools/model_info.py --cfg FILE [KEY VALUE ...] [--json]``."""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from svit.config import ConfigError, load_config  # noqa: E402
from svit.utils.model_stats import model_stats  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--cfg", dest="cfg_file", required=True, help="yaml config file")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("opts", nargs=argparse.REMAINDER, help="KEY VALUE overrides")
    args = p.parse_args(argv)
    opts = [o for o in args.opts if o != "--json"]
    as_json = args.json or len(opts) != len(args.opts)
    try:
        cfg = load_config(args.cfg_file, opts)
    except ConfigError as e:
        print(f"Config error: {e}", file=sys.stderr)
        return 2
    stats = model_stats(cfg)
    if as_json:
        print(json.dumps(stats))
    else:
        print(f"model: {cfg.MODEL.MODEL_NAME}")
        print(f"params: {stats['params']:,}")
        print(f"trainable params: {stats['trainable_params']:,}")
        s = cfg.DATA.TEST_CROP_SIZE
        print(f"GFLOPs (1 view, {cfg.DATA.NUM_FRAMES}x{s}x{s}): {stats['gflops']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
