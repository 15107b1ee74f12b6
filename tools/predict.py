#!/usr/bin/env python
"""Classify videos with a trained checkpoint.

    python tools/predict.py --cfg configs/ssv2.yaml --checkpoint svit.pyth --input clip.webm
    python tools/predict.py --cfg CFG --checkpoint CKPT --input frames/1234 videos/ --topk 5 \\
        --views 1 3 --label-map labels.json --json predictions.json

``--input`` takes video files (webm/mp4/...), SSv2-style frame folders (``<id>/0001.jpg``...),
folders holding either, or a .txt list of paths. The config's test pipeline is used (sampling,
crops, normalisation, DATA.CHANNEL_ORDER); ``--views T S`` overrides TEST.NUM_ENSEMBLE_VIEWS and
TEST.NUM_SPATIAL_CROPS. Class names come from ``--label-map`` (SSv2 label JSON or a text file), else
from the dataset the config points at, else class indices are printed. ``--boxes DIR`` attaches
Something-Else box JSONs (``DIR/<id>.json``) when the pipeline uses them.
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


from svit.utils.cli import add_json_arg, json_to_stdout, parse_known, write_json  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cfg", required=True, help="config yaml the checkpoint was trained with")
    p.add_argument("--checkpoint", required=True, help=".pyth checkpoint (or a plain state dict)")
    p.add_argument("--checkpoint-type", default="auto", help="adapter for foreign checkpoints (ibm, tsm, h2cn, ...)")
    p.add_argument(
        "--input", required=True, nargs="+", help="video files, frame folders, folders of them, or .txt lists"
    )
    p.add_argument("--topk", type=int, default=5, help="classes printed per video")
    p.add_argument("--views", type=int, nargs=2, metavar=("T", "S"), help="temporal clips and spatial crops")
    p.add_argument("--label-map", default="", help="label map JSON (name -> index) or text file of class names")
    p.add_argument("--boxes", default="", help="folder of per-video box JSONs (<id>.json)")
    p.add_argument("--device", default="", help="cpu, cuda or cuda:N (default: cuda when available)")
    add_json_arg(p, "the predictions (each keyed by its input path, 'id')")
    p.add_argument("--opts", nargs="*", default=[], metavar="KEY VALUE",
                   help="config overrides (after the positional ones)")
    p.add_argument("overrides", nargs="*", metavar="KEY VALUE",
                   help="config overrides, e.g. DATA.NUM_FRAMES 8 (anywhere on the line)")
    return parse_known(p, argv)  # KEY VALUE pairs are taken out first: they never swallow options


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import torch

    from svit.checkpoint import CheckpointError
    from svit.config import load_config
    from svit.config.errors import ConfigError
    from svit.engine.ema import EmaStateError
    from svit.engine.experiment import build_experiment
    from svit.engine.predictor import PredictInputError, Predictor, collect_inputs, default_label_map, load_class_names

    opts = list(args.opts or [])
    if args.views:
        opts += ["TEST.NUM_ENSEMBLE_VIEWS", str(args.views[0]), "TEST.NUM_SPATIAL_CROPS", str(args.views[1])]
    try:
        cfg = load_config(args.cfg, opts)
        items = collect_inputs(args.input, args.boxes or None, cfg.DATA.FRAME_TEMPLATE)
        label_map = args.label_map or default_label_map(cfg)
        names = load_class_names(label_map, cfg.MODEL.NUM_CLASSES) if label_map else None
        device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
        # MODEL_EMA.EVAL_MODEL decides whether the online weights or the checkpoint's EMA predict.
        experiment = build_experiment(
            cfg, "predict", device, num_classes=len(names) if names is not None else None,
            checkpoint=args.checkpoint, checkpoint_type=args.checkpoint_type,
        )
    except (ConfigError, PredictInputError, CheckpointError, EmaStateError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    predictor = Predictor(cfg, experiment.net, device, names)
    predictions = predictor.predict(items, topk=args.topk, progress=sys.stderr.isatty())
    failed = 0
    for pred in predictions:
        if pred.error:
            failed += 1
            if not json_to_stdout(args):
                print(f"{pred.path}: ERROR {pred.error}")
            continue
        if json_to_stdout(args):
            continue
        print(f"{pred.path}:")
        for rank, (cls, name, score) in enumerate(pred.topk, 1):
            print(f"  {rank}. {name} (class {cls})  {score:.4f}")
    if args.json:
        payload = {
            "checkpoint": args.checkpoint,
            "config": args.cfg,
            "views": [cfg.TEST.NUM_ENSEMBLE_VIEWS, cfg.TEST.NUM_SPATIAL_CROPS],
            "ensemble_method": cfg.TEST.ENSEMBLE_METHOD,
            "results": [p.as_dict() for p in predictions],
        }
        write_json(payload, args.json)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
