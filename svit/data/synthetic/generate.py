"""Writing a synthetic dataset in the exact SSv2 + Something-Else layout::

    <out>/something-something-v2-labels.json       {template: "index"}
    <out>/something-something-v2-train.json        [{id, label, template, placeholders}]
    <out>/something-something-v2-validation.json
    <out>/frames/<id>/0001.jpg ...                   JPEG frames, 1-based
    <out>/videos/<id>.webm                          VP9 (PyAV), the same frames at 12 fps
    <out>/bbox_jsons/<id>.json                      Something-Else box records per frame
    <out>/synthetic_meta.json                       the generator parameters
    <out>/_COMPLETE                                 written last: the dataset is complete

Video ``k`` (1-based id) is rendered from ``np.random.default_rng([seed, k])``, so the output is
deterministic given the seed whatever the number of workers. Classes are balanced; every 5th video
(by a seeded permutation) goes to validation.
"""

from __future__ import annotations

import json
import os
from functools import partial
from multiprocessing import get_context

import cv2
import numpy as np

from svit.data.ssv2_annotations import clean_template
from svit.data.synthetic.classes import CLASSES
from svit.data.synthetic.render import render_video
from svit.utils.progress import progress as progress_lines

GENERATOR_VERSION = 1
IN_PROGRESS_MARKER = "_GENERATING"
COMPLETE_MARKER = "_COMPLETE"
FPS = 12
LABELS_FILE = "something-something-v2-labels.json"
TRAIN_FILE = "something-something-v2-train.json"
VAL_FILE = "something-something-v2-validation.json"


def write_webm(path: str, frames: np.ndarray, fps: int = FPS) -> None:
    """Encodes RGB frames as VP9 in a webm container (PyAV), written via a temp file + rename."""
    import av

    tmp = path + ".tmp.webm"
    with av.open(tmp, "w") as c:
        s = c.add_stream(
            "libvpx-vp9", rate=fps, options={"deadline": "realtime", "cpu-used": "8", "crf": "28", "b:v": "0"}
        )
        s.width, s.height, s.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        s.thread_count = 1
        for f in frames:
            for pkt in s.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(f), format="rgb24")):
                c.mux(pkt)
        for pkt in s.encode():
            c.mux(pkt)
    os.replace(tmp, path)


def _render_one(k: int, out: str, seed: int, num_frames: int, size: int, labels: list[int], write_videos: bool) -> dict:
    cv2.setNumThreads(1)
    vid = str(k)
    cls = CLASSES[labels[k - 1]]
    frames, records, placeholders = render_video(cls, vid, num_frames, size, np.random.default_rng([seed, k]))
    fdir = os.path.join(out, "frames", vid)
    os.makedirs(fdir, exist_ok=True)
    for i, f in enumerate(frames):
        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(f, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
        if not ok:
            raise RuntimeError(f"JPEG encoding failed for synthetic video {vid} frame {i + 1}")
        with open(os.path.join(fdir, f"{i + 1:04d}.jpg"), "wb") as fh:
            fh.write(buf.tobytes())
    with open(os.path.join(out, "bbox_jsons", vid + ".json"), "w") as fh:
        json.dump(records, fh)
    if write_videos:
        write_webm(os.path.join(out, "videos", vid + ".webm"), frames)
    label = cls.template
    for name in placeholders:
        label = label.replace("[something]", name, 1)
    return {"id": vid, "label": label, "template": cls.template, "placeholders": placeholders}


def generate_synthetic_ssv2(
    out: str,
    num_videos: int,
    seed: int = 0,
    num_frames: int = 24,
    size: int = 64,
    workers: int = 2,
    write_videos: bool = True,
    progress: bool = True,
) -> str:
    """Generates the dataset into ``out`` (see the module docstring); returns ``out``."""
    if num_videos < len(CLASSES):
        raise ValueError(f"need at least {len(CLASSES)} videos (one per class), got {num_videos}")
    if num_frames < 2 or size < 16:
        raise ValueError(f"need num_frames >= 2 and size >= 16, got {num_frames}, {size}")
    marker = os.path.join(out, COMPLETE_MARKER)
    if os.path.exists(marker):
        os.remove(marker)
    os.makedirs(out, exist_ok=True)
    # Claims the folder: only a folder carrying this stamp may be wiped as an interrupted run.
    with open(os.path.join(out, IN_PROGRESS_MARKER), "w") as fh:
        fh.write("synthetic ssv2 generation in progress\n")
    for sub in ("frames", "bbox_jsons") + (("videos",) if write_videos else ()):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    rng = np.random.default_rng([seed, 0])
    labels = rng.permutation(np.arange(num_videos) % len(CLASSES)).tolist()
    is_val = np.zeros(num_videos, bool)
    is_val[rng.permutation(num_videos)[: num_videos // 5]] = True
    job = partial(
        _render_one, out=out, seed=seed, num_frames=num_frames, size=size, labels=labels, write_videos=write_videos
    )
    ids = range(1, num_videos + 1)
    # a bar on a terminal, plain lines (every tenth of the videos) in a redirected log
    bar = dict(total=num_videos, desc="synthetic ssv2", unit="videos", enabled=progress)
    if workers > 1:
        with get_context("spawn" if os.name == "nt" else "fork").Pool(workers) as pool:
            entries = list(progress_lines(pool.imap(job, ids, chunksize=8), **bar))
    else:
        entries = [job(k) for k in progress_lines(ids, **bar)]
    label_map = {clean_template(c.template): str(i) for i, c in enumerate(CLASSES)}
    _dump(os.path.join(out, LABELS_FILE), label_map)
    _dump(os.path.join(out, TRAIN_FILE), [e for e, v in zip(entries, is_val) if not v])
    _dump(os.path.join(out, VAL_FILE), [e for e, v in zip(entries, is_val) if v])
    meta = {
        "version": GENERATOR_VERSION,
        "num_videos": num_videos,
        "seed": seed,
        "num_frames": num_frames,
        "size": size,
        "videos": write_videos,
        "fps": FPS,
        "classes": [c.template for c in CLASSES],
    }
    _dump(os.path.join(out, "synthetic_meta.json"), meta)
    with open(marker, "w") as fh:
        fh.write("complete\n")
    os.remove(os.path.join(out, IN_PROGRESS_MARKER))
    return out


def _dump(path: str, obj) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(obj, fh, indent=1)
    os.replace(tmp, path)
