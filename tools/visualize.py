#!/usr/bin/env python
"""Pictures of what the data, the models and SV-Mix do (PNG grids and GIF/MP4 animations).

    python tools/visualize.py data --cfg CFG [--videos 0 1] [KEY VALUE ...]
    python tools/visualize.py predict --cfg CFG [--checkpoint CKPT] [--index 0 | --input clip.webm]
    python tools/visualize.py svmix --cfg SVMIX_CFG [--checkpoint CKPT] [--videos 0 1 2 3]
    python tools/visualize.py attention --cfg CFG [--checkpoint CKPT] [--method auto|rollout|gradcam]

data: train pipeline (two random draws) next to every test view of the same training video,
de-normalised, with the hand/object boxes and per-frame contact states. predict: each test view with
the ensemble's top-5, every view's scores and, for SViT, the boxes and contact states its object
tokens predict. svmix: clean clips, the selector's online/offline masks, both mixes, λ vs λ_sal and
the soft targets, spatial and temporal mode. attention: attention rollout (MViT/SViT, UniFormer,
ViViT, Video Swin, Side4Video's side network) or Grad-CAM (the CNN families; needs
``pip install grad-cam``) over the frames.

Everything is built by ``build_experiment`` from the config; the checkpoint defaults to the newest in
OUTPUT_DIR. Pictures go to ``--out`` (default OUTPUT_DIR/vis), with the config they were made with
(config.yaml). Runs on CUDA when available (``--device`` to choose).
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from svit.utils.cli import CONFIG_KEY, add_cfg_args, parse_known  # noqa: E402

COMMANDS = ("data", "predict", "svmix", "attention")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, metavar="{" + ",".join(COMMANDS) + "}",
                           help="what to picture")
    helps = {"data": "clips the config feeds the model (train vs test pipeline)",
             "predict": "a checkpoint's predictions on one video, per view",
             "svmix": "one SV-Mix step: masks, mixes, lambdas, targets",
             "attention": "attention rollout / Grad-CAM over the frames"}
    for name in COMMANDS:
        s = sub.add_parser(name, help=helps[name], description=helps[name])
        s.add_argument("--out", default="", help="output folder (default: OUTPUT_DIR/vis)")
        s.add_argument("--device", default="", help="cpu, cuda or cuda:N (default: cuda when available)")
        s.add_argument("--animation", default="gif", choices=("gif", "mp4", "none"),
                       help="animated copy of each picture: gif (Pillow), mp4 (PyAV) or none")
        s.add_argument("--seed", type=int, default=0, help="seed of the random augmentation / mixing draws")
        s.add_argument("--dpi", type=int, default=80, help="resolution of the PNG pictures")
        s.add_argument("--palette", action="store_true", help="256-colour palette PNGs (smaller files, e.g. for docs)")
        if name in ("data", "svmix"):
            s.add_argument("--videos", nargs="+", default=["0"] if name == "data" else ["0", "1", "2", "3"],
                           help="indices into the training split")
        if name != "data":
            s.add_argument("--checkpoint", default="", help="checkpoint (default: newest in OUTPUT_DIR)")
        if name in ("predict", "attention"):
            s.add_argument("--index", type=int, default=0, help="video index in the test split")
            s.add_argument("--input", default="", help="a video file or frame folder instead of --index")
        if name == "attention":
            s.add_argument("--method", default="auto", choices=("auto", "rollout", "gradcam"),
                           help="rollout for transformers, Grad-CAM for CNNs (auto), or force one")
        add_cfg_args(s)
    args = parse_known(p, argv)
    if getattr(args, "videos", None) is not None:
        # `--videos 0 1 KEY VALUE`: the greedy list swallowed the overrides; give them back.
        keys = [i for i, v in enumerate(args.videos) if CONFIG_KEY.match(v)]
        if keys:
            args.opts = args.videos[keys[0]:] + args.opts
            args.videos = args.videos[:keys[0]]
        try:
            args.videos = [int(v) for v in args.videos]
        except ValueError:
            p.error(f"--videos takes video indices, got {args.videos}")
    return args


def experiment(cfg, phase: str, device, out: str, checkpoint: str = ""):
    """``build_experiment`` on a copy of ``cfg`` whose OUTPUT_DIR is ``out``, so that its config.yaml goes
    there, never over the run's: the test phase writes it once its weights fit, the train phase leaves it
    to ``pictures_written``. ``checkpoint`` is the test phase's TEST.CHECKPOINT_FILE_PATH."""
    from svit.engine.experiment import build_experiment

    cfg = cfg.clone()
    cfg.defrost()
    cfg.OUTPUT_DIR = out
    if checkpoint:
        cfg.TEST.CHECKPOINT_FILE_PATH = checkpoint
    return build_experiment(cfg, phase, device)


def pictures_written(paths: list[str], cfg) -> list[str]:
    """``paths``, once the config the pictures were made with is written next to them (the train-phase
    pictures): only after they are, so that a command refused for a wrong video index leaves no folder."""
    from svit.engine.experiment import write_config

    write_config(cfg)
    return paths


def eval_net(exp):
    """The model MODEL_EMA.EVAL_MODEL names (the EMA when it is "ema" and present)."""
    if exp.ema is not None and exp.cfg.MODEL_EMA.EVAL_MODEL == "ema":
        return exp.ema.module.eval()
    return exp.net.eval()


def video_views(args, cfg, device, out: str, checkpoint: str):
    """(cfg, net, views, video id, class names, label) of ``--input`` or of test video ``--index``."""
    import numpy as np

    if args.input:
        from svit.engine.experiment import build_experiment
        from svit.engine.predictor import Predictor, collect_inputs, default_label_map, load_class_names

        items = collect_inputs([args.input])
        label_map = default_label_map(cfg)
        names = load_class_names(label_map, cfg.MODEL.NUM_CLASSES) if label_map else None
        exp = build_experiment(cfg.clone(), "predict", device, num_classes=len(names) if names else None,
                               checkpoint=checkpoint)
        ds = Predictor(exp.cfg, exp.net, device, names)._dataset(items[:1], items[0].kind)
        rng = np.random.default_rng(exp.cfg.RNG_SEED)
        return exp.cfg, exp.net, [ds.load(0, v, rng) for v in range(ds.num_views)], items[0].video_id, names, None
    exp = experiment(cfg, "test", device, out, checkpoint)
    ds = exp.dataset
    if not 0 <= args.index < ds.num_videos:
        raise IndexError(f"--index {args.index}: the test split has {ds.num_videos} videos")
    rng = np.random.default_rng(exp.cfg.RNG_SEED)
    views = [ds.load(args.index, v, rng) for v in range(ds.num_views)]
    rec = ds.records[args.index]
    return exp.cfg, eval_net(exp), views, rec.video_id, getattr(ds, "class_names", None), rec.label


def run(args) -> list[str]:
    import torch

    from svit.config import load_config
    from svit.run_folder import VIS_DIR, last_checkpoint

    cfg = load_config(args.cfg, args.opts)
    out = args.out or os.path.join(cfg.OUTPUT_DIR, VIS_DIR)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    anim = "" if args.animation == "none" else args.animation
    import svit.vis.figures

    svit.vis.figures.DPI = args.dpi
    svit.vis.figures.PALETTE = args.palette
    checkpoint = getattr(args, "checkpoint", "") or (last_checkpoint(cfg.OUTPUT_DIR) or "")
    if args.command == "data":
        from svit.vis.data_view import render_data

        exp = experiment(cfg, "train", device, out)
        return pictures_written(render_data(exp, args.videos, out, args.seed, anim), exp.cfg)
    if args.command == "svmix":
        from svit.vis.svmix_view import render_svmix

        if len(args.videos) < 2:  # before building anything
            raise ValueError("visualize.py svmix needs at least 2 --videos: SV-Mix mixes the clips of a batch")
        exp = experiment(cfg, "train", device, out)
        return pictures_written(render_svmix(exp, checkpoint or None, args.videos, out, args.seed, anim), exp.cfg)
    if not checkpoint:
        from svit.checkpoint import CheckpointError

        raise CheckpointError(f"no checkpoint in {cfg.OUTPUT_DIR}: pass --checkpoint PATH")
    torch.manual_seed(args.seed)
    cfg_run, net, views, vid, names, label = video_views(args, cfg, device, out, checkpoint)
    shown = os.path.join(*os.path.normpath(checkpoint).split(os.sep)[-3:])  # run folder + file for the title
    if args.command == "predict":
        from svit.vis.predict_view import render_predict

        return render_predict(cfg_run, net, views, vid, names, shown, out, label, anim)
    from svit.vis.attention_view import render_attention

    return render_attention(cfg_run, net, views, vid, names, shown, out, args.method, label, anim)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from svit.checkpoint import CheckpointError
    from svit.config.errors import ConfigError
    from svit.engine.ema import EmaStateError
    from svit.engine.predictor import PredictInputError
    from svit.vis.gradcam import GradCamMissing
    from svit.vis.rollout_families import RolloutUnsupported

    try:
        written = run(args)
    except (ConfigError, CheckpointError, EmaStateError, PredictInputError, GradCamMissing, RolloutUnsupported,
            IndexError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
