"""Tiny media in official layouts and a one-step training run, shared by the test_prepare_* files."""
from __future__ import annotations

import contextlib
import json
import logging
import math
import os
from pathlib import Path

import av
import cv2
import numpy as np
import torch

from svit.config import load_config
from svit.engine.run import run_phases

REPO = Path(__file__).resolve().parents[2]
CODECS = {".mp4": ("libx264", "yuv420p"), ".avi": ("mpeg4", "yuv420p"), ".webm": ("libvpx-vp9", "yuv420p")}


def synthetic_frame(i: int, h: int = 40, w: int = 48) -> np.ndarray:
    """RGB frame ``i`` of a moving-bar pattern (frames differ, so a wrong index shows)."""
    img = np.zeros((h, w, 3), np.uint8)
    img[..., 0] = (i * 11) % 256
    x = (i * 3) % (w - 8)
    img[:, x:x + 8, 1] = 255
    y = (i * 2) % (h - 6)
    img[y:y + 6, :, 2] = 200
    return img


def write_video(path: Path, num_frames: int = 12, fps: int = 10, h: int = 40, w: int = 48) -> Path:
    """Encodes the synthetic pattern with PyAV; the codec follows the extension (mp4 H.264, avi
    MPEG-4 part 2, webm VP9)."""
    codec, pix = CODECS[path.suffix]
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as c:
        s = c.add_stream(codec, rate=fps)
        s.width, s.height, s.pix_fmt = w, h, pix
        if codec == "libx264":
            s.options = {"crf": "18", "g": "4"}
        for i in range(num_frames):
            for pkt in s.encode(av.VideoFrame.from_ndarray(synthetic_frame(i, h, w), format="rgb24")):
                c.mux(pkt)
        for pkt in s.encode():
            c.mux(pkt)
    return path


def write_frames(folder: Path, num_frames: int = 10, template: str = "{:05d}.jpg", start: int = 1) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(num_frames):
        cv2.imwrite(str(folder / template.format(start + k)), cv2.cvtColor(synthetic_frame(k), cv2.COLOR_RGB2BGR))
    return folder


def read_list(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line]


@contextlib.contextmanager
def restored_svit_logger():
    """A run configures the ``svit`` logger (own handlers, no propagation); later tests that read
    warnings through pytest's caplog need it back as it was."""
    logger = logging.getLogger("svit")
    handlers, propagate, level = list(logger.handlers), logger.propagate, logger.level
    try:
        yield
    finally:
        for h in list(logger.handlers):
            if h not in handlers:
                logger.removeHandler(h)
                h.close()
        for h in handlers:
            if h not in logger.handlers:
                logger.addHandler(h)
        logger.propagate, logger.level = propagate, level


def train_one_step(dataset: str, lists: Path, prefix: Path, out: Path, num_val: int, num_classes: int | None = None,
                   extra: list[str] | None = None) -> list[dict]:
    """Trains one step of a tiny TSN-ResNet18 on a prepared dataset with the dataset's own config
    ``configs/datasets/<dataset>.yaml``, then validates: every one of the ``num_val`` listed
    validation videos must be read (no bad sample allowed in training either)."""
    opts = [
        "DATA.PATH_TO_DATA_DIR", str(lists), "DATA.PATH_PREFIX", str(prefix), "OUTPUT_DIR", str(out),
        "NUM_GPUS", "0", "MODEL.ARCH", "cnn", "MODEL.MODEL_NAME", "TSN", "CNN.BACKBONE", "resnet", "CNN.DEPTH", "18",
        "CNN.IMAGENET_WEIGHTS", "", "DATA.NUM_FRAMES", "2", "DATA.SAMPLING", "segment", "DATA.TRAIN_CROP_SIZE", "32",
        "DATA.TEST_CROP_SIZE", "32", "DATA.TRAIN_JITTER_SCALES", "[32, 40]", "TRAIN.BATCH_SIZE", "2",
        "TEST.BATCH_SIZE", "2", "TRAIN.MAX_STEPS_PER_EPOCH", "1", "SOLVER.MAX_EPOCH", "1", "TRAIN.EVAL_PERIOD", "1",
        "SOLVER.WARMUP_EPOCHS", "0.0", "TEST.ENABLE", "False", "DATA_LOADER.NUM_WORKERS", "0",
        "DATA_LOADER.PIN_MEMORY", "False", "DATA_LOADER.PERSISTENT_WORKERS", "False", "TENSORBOARD.ENABLE", "False",
        "DATA.MAX_BAD_FRACTION", "0.0",
    ]
    if num_classes is not None:
        opts += ["MODEL.NUM_CLASSES", str(num_classes), "LIST_DATA.NUM_CLASSES", str(num_classes)]
    cfg = load_config(str(REPO / "configs" / "datasets" / f"{dataset}.yaml"), opts + (extra or []))
    torch.manual_seed(0)
    with restored_svit_logger():
        run_phases(cfg, torch.device("cpu"))
    stats = [json.loads(line) for line in (out / "stats.jsonl").read_text().splitlines()]
    losses = [s["loss"] for s in stats if "loss" in s]
    assert losses and all(math.isfinite(v) for v in losses), stats
    val = [s for s in stats if s.get("_type") == "val_epoch"]
    assert val and val[-1]["num_samples"] == num_val, val
    return stats


def problems(out: Path) -> list[list[str]]:
    """Rows of problems.txt: kind, file, line, message."""
    path = out / "problems.txt"
    return [line.split("\t") for line in path.read_text().splitlines()] if path.exists() else []


__all__ = ["REPO", "os", "problems", "read_list", "restored_svit_logger", "train_one_step", "write_frames",
           "write_video"]
