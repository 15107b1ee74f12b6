#!/usr/bin/env python
"""Boxes for videos without annotations, from a detector run over their frame folders, written in
the Something-Else schema (one ``<out>/<int(id)>.json`` per video, records as in github.com/joaanna/something_else).

Backends:
* ``torchvision``: a Faster R-CNN built with ``weights=None, weights_backbone=None`` (nothing is
  downloaded) and loaded from a local state dict (--weights). --arch fasterrcnn_mobilenet_v3_large_fpn,
  fasterrcnn_resnet50_fpn, or fasterrcnn_tiny (a small random network for plumbing tests only).
* ``detectron2``: imported lazily (a clear error if not installed; it is built from source, see
  docs/TOOLS.md), a yaml --d2-config (+ --d2-opts KEY VALUE overrides) and a checkpoint --weights
  that must fit the config's model. Its classes are 0-based without background.

Class mapping: detections of --hand-class (default COCO "person": 1 for torchvision, 0 for
detectron2; a poor proxy for hands; use a hand detector's class index when you have one) become
hands (``standard_category "hand"``), the others objects ranked by score (``"0000"``, ``"0001"``);
at most --max-hands / --max-objects per frame above --score-thresh.

Example: python data_tools/detect_boxes.py --frames-dir frames --ids-file empty_bbox_train.json \\
           --out bbox_jsons --arch fasterrcnn_resnet50_fpn --weights frcnn_coco.pth --num-classes 91
         python data_tools/detect_boxes.py --frames-dir frames --ids-file empty_bbox_train.json \\
           --out bbox_jsons --backend detectron2 --weights model_final_280758.pkl \\
           --d2-config detectron2/configs/COCO-Detection/faster_rcnn_R_50_FPN_3x.yaml
"""

from __future__ import annotations

import argparse
import json
import os
from typing import TYPE_CHECKING, Callable

import numpy as np
from tqdm import tqdm

# torch and svit.data (whose package imports torch) are imported inside the functions that run a
# detector, so that --help and argument errors answer at once instead of after seconds of imports.
if TYPE_CHECKING:
    import torch

Detector = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]  # RGB -> boxes, scores, classes


def build_torchvision_model(arch: str, num_classes: int) -> torch.nn.Module:
    """An untrained torchvision detector (no download)."""
    import torch
    from torchvision.models import detection as D

    if arch == "fasterrcnn_tiny":
        from torchvision.models.detection.anchor_utils import AnchorGenerator
        from torchvision.ops import MultiScaleRoIAlign

        backbone = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, stride=4, padding=1), torch.nn.ReLU())
        backbone.out_channels = 8
        return D.FasterRCNN(
            backbone,
            num_classes,
            min_size=64,
            max_size=128,
            rpn_anchor_generator=AnchorGenerator(((8, 16, 32),), ((0.5, 1.0, 2.0),)),
            box_roi_pool=MultiScaleRoIAlign(["0"], 7, 2),
            representation_size=64,
            rpn_pre_nms_top_n_test=64,
            rpn_post_nms_top_n_test=32,
            box_detections_per_img=8,
        )
    builders = {
        "fasterrcnn_mobilenet_v3_large_fpn": D.fasterrcnn_mobilenet_v3_large_fpn,
        "fasterrcnn_resnet50_fpn": D.fasterrcnn_resnet50_fpn,
    }
    if arch not in builders:
        raise SystemExit(f"unknown --arch {arch!r}; choose from {sorted(builders) + ['fasterrcnn_tiny']}")
    return builders[arch](weights=None, weights_backbone=None, num_classes=num_classes)


def torchvision_detector(arch: str, weights: str, num_classes: int, device: str) -> Detector:
    import torch

    model = build_torchvision_model(arch, num_classes)
    state = torch.load(weights, map_location="cpu", weights_only=True)
    state = state.get("model", state) if isinstance(state, dict) else state
    model.load_state_dict(state)
    model.eval().to(device)

    @torch.no_grad()
    def run(img: np.ndarray):
        x = torch.from_numpy(img).permute(2, 0, 1).float().div(255).to(device)
        out = model([x])[0]
        return out["boxes"].cpu().numpy(), out["scores"].cpu().numpy(), out["labels"].cpu().numpy()

    return run


def _strict_d2_checkpointer(model: torch.nn.Module, weights: str):
    """A ``DetectionCheckpointer`` that fails when the checkpoint does not fit the model.

    detectron2 only logs missing / unexpected keys and shape mismatches, so a checkpoint of another
    architecture (or with another number of classes) would silently leave a randomly initialised
    detector writing random boxes for the whole dataset."""
    from detectron2.checkpoint import DetectionCheckpointer

    class StrictCheckpointer(DetectionCheckpointer):
        def _log_incompatible_keys(self, incompatible) -> None:
            super()._log_incompatible_keys(incompatible)
            problems = [f"{len(incompatible.missing_keys)} parameters missing"] if incompatible.missing_keys else []
            if incompatible.incorrect_shapes:
                problems.append(f"{len(incompatible.incorrect_shapes)} with another shape")
            if problems:
                example = (list(incompatible.missing_keys) + [k for k, *_ in incompatible.incorrect_shapes])[:3]
                raise SystemExit(
                    f"--weights {weights} does not fit the model of --d2-config ({', '.join(problems)}, "
                    f"e.g. {example}); check MODEL.ROI_HEADS.NUM_CLASSES and the architecture"
                )

    return StrictCheckpointer(model)


def detectron2_detector(
    config: str, weights: str, device: str, score_thresh: float, opts: list[str] | None = None
) -> tuple[Detector, list[str] | None]:
    """A detectron2 predictor from a yaml config (``_BASE_`` chains resolved) and a local checkpoint
    (a ``DetectionCheckpointer`` file or a model-zoo ``.pkl``); returns the detector and the class
    names of the config's first test set when detectron2 knows them (COCO: ``thing_classes``).

    ``opts`` are ``KEY VALUE`` overrides as in detectron2's own tools. The detector's own test-time
    score threshold is set to ``score_thresh`` so that it does not drop boxes this tool would keep.
    Classes are detectron2's: contiguous, 0-based, no background (COCO person = 0)."""
    try:
        from detectron2.config import get_cfg
        from detectron2.data import MetadataCatalog
        from detectron2.engine import DefaultPredictor
    except ImportError as exc:
        raise SystemExit(
            "--backend detectron2 needs detectron2, which is not on PyPI: build it from source "
            "(docs/TOOLS.md, 'detect_boxes.py with detectron2')"
        ) from exc
    if not os.path.isfile(config):
        raise SystemExit(f"--d2-config {config}: no such file")
    if not config.endswith((".yaml", ".yml")):
        raise SystemExit(f"--d2-config {config}: only yaml configs are supported (not LazyConfig .py files)")
    cfg = get_cfg()
    cfg.merge_from_file(config)
    if opts:
        if len(opts) % 2:
            raise SystemExit(f"--d2-opts needs KEY VALUE pairs, got an odd number of items: {opts}")
        cfg.merge_from_list(list(opts))
    cfg.MODEL.DEVICE = device
    cfg.MODEL.WEIGHTS = ""  # loaded below, strictly
    cfg.MODEL.ROI_HEADS.SCORE_THRESH_TEST = score_thresh
    cfg.MODEL.RETINANET.SCORE_THRESH_TEST = score_thresh
    cfg.freeze()
    predictor = DefaultPredictor(cfg)  # resizing (INPUT.MIN/MAX_SIZE_TEST), BGR/RGB per INPUT.FORMAT
    _strict_d2_checkpointer(predictor.model, weights).load(weights)
    names = None
    if cfg.DATASETS.TEST:
        names = MetadataCatalog.get(cfg.DATASETS.TEST[0]).get("thing_classes", None)

    def run(img: np.ndarray):
        # DefaultPredictor takes BGR (it flips itself when the model wants RGB); boxes come back
        # as x1, y1, x2, y2 in pixels of the image given, whatever size the model ran at.
        inst = predictor(np.ascontiguousarray(img[:, :, ::-1]))["instances"].to("cpu")
        return inst.pred_boxes.tensor.numpy(), inst.scores.numpy(), inst.pred_classes.numpy()

    run.predictor = predictor  # for inspection (tests)
    return run, list(names) if names else None


def frame_record(
    video_id: str,
    number: int,
    template: str,
    boxes,
    scores,
    classes,
    hand_class: int,
    score_thresh: float,
    max_hands: int,
    max_objects: int,
    names: list[str] | None,
) -> dict:
    """One Something-Else frame record from raw detections."""
    order = np.argsort(-scores)
    hands, objects = [], []
    for i in order:
        if scores[i] < score_thresh:
            continue
        (hands if int(classes[i]) == hand_class else objects).append(i)
    labels = []
    for i in hands[:max_hands]:
        labels.append(
            {
                "box2d": dict(zip(("x1", "y1", "x2", "y2"), map(float, boxes[i]))),
                "category": "hand",
                "standard_category": "hand",
                "gt_annotation": "object hand",
                "score": float(scores[i]),
            }
        )
    placeholders = []
    for k, i in enumerate(objects[:max_objects]):
        c = int(classes[i])
        name = names[c] if names and c < len(names) else f"class {c}"
        placeholders.append(name)
        labels.append(
            {
                "box2d": dict(zip(("x1", "y1", "x2", "y2"), map(float, boxes[i]))),
                "category": name,
                "standard_category": f"{k:04d}",
                "gt_annotation": f"object {k}",
                "score": float(scores[i]),
            }
        )
    return {
        "name": f"{video_id}/{template.format(number)}",
        "labels": labels,
        "gt_placeholders": placeholders,
        "nr_instances": len(labels),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--frames-dir", required=True, help="folder of <video_id>/ frame folders")
    p.add_argument(
        "--ids-file", required=True, help="JSON list of video ids (e.g. empty_bbox_train.json) or an SSv2 JSON list"
    )
    p.add_argument("--out", required=True, help="folder for <id>.json box files")
    p.add_argument("--backend", choices=("torchvision", "detectron2"), default="torchvision")
    p.add_argument("--arch", default="fasterrcnn_mobilenet_v3_large_fpn", help="torchvision architecture")
    p.add_argument("--weights", required=True, help="local weights (state dict / detectron2 checkpoint)")
    p.add_argument("--num-classes", type=int, default=91, help="classes of the detector incl. background")
    p.add_argument("--d2-config", help="detectron2 config yaml")
    p.add_argument(
        "--d2-opts",
        nargs="+",
        default=[],
        metavar="KEY VALUE",
        help="detectron2 config overrides, e.g. INPUT.MIN_SIZE_TEST 480 MODEL.ROI_HEADS.NUM_CLASSES 1",
    )
    p.add_argument(
        "--hand-class",
        type=int,
        help="class index treated as hand; default COCO person, a proxy: 1 for torchvision (0 = background), "
        "0 for detectron2 (0-based, no background)",
    )
    p.add_argument(
        "--class-names",
        help="file with one class name per line (index = line number, in the backend's class indices); "
        "detectron2 defaults to the thing_classes of its config's DATASETS.TEST[0] when known",
    )
    p.add_argument(
        "--score-thresh",
        type=float,
        default=0.5,
        help="keep detections scoring at least this (also the detectron2 model's own test threshold)",
    )
    p.add_argument("--max-hands", type=int, default=2)
    p.add_argument("--max-objects", type=int, default=2)
    p.add_argument("--template", default="{:04d}.jpg", help="frame file name template")
    p.add_argument("--start-index", type=int, default=1)
    p.add_argument("--overwrite", action="store_true", help="redo videos that already have a box file")
    p.add_argument("--device", default="", help="cpu, cuda or cuda:N (default: cuda when available)")
    a = p.parse_args(argv)
    import torch

    from svit.data.boxes import box_file_path
    from svit.data.video_reader import count_frame_files, read_image_rgb

    a.device = a.device or ("cuda" if torch.cuda.is_available() else "cpu")
    with open(a.ids_file, encoding="utf-8") as f:
        ids = [str(x["id"]) if isinstance(x, dict) else str(x) for x in json.load(f)]
    if "://" not in a.weights and not os.path.isfile(a.weights):
        raise SystemExit(f"--weights {a.weights}: no such file")
    names = open(a.class_names, encoding="utf-8").read().splitlines() if a.class_names else None
    if a.backend == "torchvision":
        det = torchvision_detector(a.arch, a.weights, a.num_classes, a.device)
        hand_class = 1 if a.hand_class is None else a.hand_class
    else:
        if not a.d2_config:
            raise SystemExit("--backend detectron2 needs --d2-config")
        det, d2_names = detectron2_detector(a.d2_config, a.weights, a.device, a.score_thresh, a.d2_opts)
        names = names or d2_names
        hand_class = 0 if a.hand_class is None else a.hand_class
    os.makedirs(a.out, exist_ok=True)
    failed = []
    for vid in tqdm(ids, desc="detect", unit="video"):
        path = box_file_path(a.out, vid)
        if os.path.exists(path) and not a.overwrite:
            continue
        folder = os.path.join(a.frames_dir, vid)
        try:
            n = count_frame_files(folder, a.template, a.start_index, vid)
            records = []
            for k in range(n):
                img = read_image_rgb(os.path.join(folder, a.template.format(a.start_index + k)), vid)
                records.append(
                    frame_record(
                        vid,
                        a.start_index + k,
                        a.template,
                        *det(img),
                        hand_class,
                        a.score_thresh,
                        a.max_hands,
                        a.max_objects,
                        names,
                    )
                )
        except Exception as exc:  # report and go on with the other videos
            failed.append(f"{vid}: {exc}")
            continue
        with open(path + ".tmp", "w") as f:
            json.dump(records, f)
        os.replace(path + ".tmp", path)
    print(f"done: {len(ids) - len(failed)} of {len(ids)} videos; {len(failed)} failed")
    for e in failed[:20]:
        print("  failed:", e)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
