#!/usr/bin/env python
"""Export a configured model (CNN families, MViT/SViT) to TorchScript and ONNX, checked against PyTorch.

    python tools/export.py --cfg configs/cnn/ssv2/tsm_r50_f8.yaml --checkpoint tsm.pyth --out exported/
    python tools/export.py --cfg configs/mvitv2_s_ssv2.yaml --checkpoint mvit.pyth --formats onnx --json

The exported graph takes a normalised clip batch (B, C, T, H, W) of the config's test geometry
(DATA.NUM_FRAMES, DATA.TEST_CROP_SIZE; fixed shapes, batch --batch-size) and returns logits (B, K).
Each file is loaded back (TorchScript) or run with onnxruntime on CPU (ONNX) and compared with the
PyTorch logits; a difference above --tolerance (relative to the largest logit) is an error.
ONNX needs `pip install -e ".[export]"` (onnx, onnxscript, onnxruntime).
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from svit.utils.cli import add_cfg_args, add_json_arg, json_to_stdout, parse_known, write_json  # noqa: E402


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", default="", help="weights to export (.pyth or a plain state dict); "
                                                     "empty = the randomly initialised model")
    p.add_argument("--checkpoint-type", default="auto", help="adapter for foreign checkpoints (ibm, tsm, h2cn, ...)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for <name>.pt and <name>.onnx")
    p.add_argument("--name", default="", help="file name stem (default: the config's file name)")
    p.add_argument("--formats", nargs="+", default=["torchscript", "onnx"], choices=("torchscript", "onnx"),
                   help="what to write")
    p.add_argument("--batch-size", type=int, default=1, help="batch size baked into the exported graph")
    p.add_argument("--opset", type=int, default=None, help="ONNX opset (default: the exporter's)")
    p.add_argument("--tolerance", type=float, default=1e-4,
                   help="largest accepted |exported - PyTorch| logit difference, relative to max |logit|")
    add_json_arg(p, "the written files, sizes and differences")
    add_cfg_args(p)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parse_known(build_parser(), argv)
    from svit.checkpoint import CheckpointError, load_checkpoint
    from svit.config import ConfigError, load_config
    from svit.models import build_model
    from svit.utils.export import ExportError, example_input, export_model, results_as_dicts

    try:
        cfg = load_config(args.cfg, args.opts)
        model = build_model(cfg).eval()
        if args.checkpoint:
            load_checkpoint(args.checkpoint, model, strict=True, checkpoint_type=args.checkpoint_type)
        name = args.name or os.path.splitext(os.path.basename(args.cfg))[0]
        results = export_model(model, example_input(cfg, args.batch_size), args.out, name, args.formats,
                               args.tolerance, args.opset)
    except (ConfigError, CheckpointError, ExportError) as e:
        print(f"export: error: {e}", file=sys.stderr)
        return 2
    rows = results_as_dicts(results)
    if not json_to_stdout(args):
        for r in rows:
            print(f"{r['format']:<12} {r['path']}  {r['size_bytes'] / 1e6:.1f} MB  input {r['input_shape']}  "
                  f"max |diff| to PyTorch {r['max_abs_diff']:.2e}")
    write_json({"config": args.cfg, "checkpoint": args.checkpoint or None, "exports": rows}, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
