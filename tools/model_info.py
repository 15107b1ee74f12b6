#!/usr/bin/env python
"""Parameters and GFLOPs of a configured model.

    python tools/model_info.py --cfg FILE [KEY VALUE ...] [--opts KEY VALUE ...] [--json [PATH]]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from svit.config import ConfigError, load_config  # noqa: E402
from svit.engine.model_info import model_stats  # noqa: E402
from svit.models import build_model  # noqa: E402
from svit.utils.cli import add_cfg_args, add_json_arg, json_to_stdout, parse_known, write_json  # noqa: E402


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_json_arg(p, "parameters and GFLOPs")
    add_cfg_args(p)
    return p


def main(argv=None) -> int:
    args = parse_known(build_parser(), argv)
    try:
        cfg = load_config(args.cfg, args.opts)
    except ConfigError as e:
        print(f"Config error: {e}", file=sys.stderr)
        return 2
    stats = model_stats(cfg, build_model(cfg))
    if not json_to_stdout(args):
        print(f"model: {cfg.MODEL.MODEL_NAME}")
        print(f"params: {stats['params']:,}")
        print(f"trainable params: {stats['trainable_params']:,}")
        s = cfg.DATA.TEST_CROP_SIZE
        print(f"GFLOPs (1 view, {cfg.DATA.NUM_FRAMES}x{s}x{s}): {stats['gflops']:.3f}")
    write_json(stats, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
