"""Something-Else box annotations (github.com/joaanna/something_else, one JSON per video) → fixed box slots.

A per-video box file is a JSON array with one record per annotated frame (in frame order):
``{"name": "<id>/<NNNN>.jpg", "labels": [{"box2d": {x1,y1,x2,y2}, "category", "standard_category",
"gt_annotation"}, ...], "gt_placeholders": [...], "nr_instances": int}``.
The number of frames of the video is the length of this array, and ``name`` gives the frame file.

Slots (``O = 4``): the first two hands (``standard_category == "hand"``) fill slots 0 and 1; objects
fill slots 2 and 3. An object whose ``standard_category`` is the placeholder number ``"000k"``
goes to slot ``2 + k`` when that slot is free, so an object keeps its slot across the frames of a
clip; other objects fill the remaining object slots in file order; extra boxes are dropped.
Boxes stay in pixels of the frame; the transforms normalise them at the end.

A box file must fit the frames it annotates (``fit_to_frame``, called once the frame size is known):
a box reaching more than DATA.BOX_TOLERANCE of the frame size outside it, or lying wholly outside
it, means the file is in other coordinates (boxes of the full-size video on downscaled frames) or
corrupt. Clipping such boxes would keep nonsense ([0.09, 0.61, 0.72, 1.0] for a box file in 3x the
frame's pixels) or drop them silently, so the whole file is refused (DATA.BAD_BOXES).
"""
from __future__ import annotations

import json
import logging
import os
import re
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from svit.data.errors import SampleError

logger = logging.getLogger(__name__)
NUM_HANDS = 2
BAD_BOX_POLICIES = ("error", "drop")
_WARNED_DROPPED: set[str] = set()  # box files already reported under "drop" (once per process)
_FRAME_NUM_RE = re.compile(r"(\d+)\.\w+$")
REQUIRED_RECORD_KEYS = ("name", "labels")
REQUIRED_LABEL_KEYS = ("box2d", "standard_category")
BOX_KEYS = ("x1", "y1", "x2", "y2")


@dataclass
class VideoBoxes:
    """Parsed box file: frame file numbers and per-frame slot boxes (pixels) + validity masks."""

    frame_numbers: list[int]
    boxes: np.ndarray  # (L, O, 4) float32 pixels x1y1x2y2
    mask: np.ndarray  # (L, O) bool
    path: str
    # every box of the file, slotted or not: (N, 5) float32 rows [record position, x1, y1, x2, y2]
    raw: np.ndarray = field(default_factory=lambda: np.zeros((0, 5), np.float32))
    # (width, height, tolerance) that every box was found to fit (``fit_to_frame``): a cached file is
    # checked once per frame size, not once per sample
    fits: set = field(default_factory=set, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.frame_numbers)


def validate_record(rec: object, path: str, video_id: str, pos: int) -> None:
    """Checks one frame record against the schema; raises ``SampleError`` naming what is wrong."""
    where = f"frame record {pos}"
    if not isinstance(rec, dict):
        raise SampleError(path, video_id, f"{where} is {type(rec).__name__}, expected an object")
    for key in REQUIRED_RECORD_KEYS:
        if key not in rec:
            raise SampleError(path, video_id, f"{where} lacks the field '{key}'")
    if not isinstance(rec["labels"], list):
        raise SampleError(path, video_id, f"{where}: 'labels' must be a list")
    if not isinstance(rec["name"], str) or not _FRAME_NUM_RE.search(rec["name"]):
        raise SampleError(path, video_id, f"{where}: 'name' {rec['name']!r} has no frame number")
    for j, lab in enumerate(rec["labels"]):
        if not isinstance(lab, dict):
            raise SampleError(path, video_id, f"{where} label {j} is not an object")
        for key in REQUIRED_LABEL_KEYS:
            if key not in lab:
                raise SampleError(path, video_id, f"{where} label {j} lacks the field '{key}'")
        box = lab["box2d"]
        if not isinstance(box, dict) or any(k not in box for k in BOX_KEYS):
            raise SampleError(path, video_id, f"{where} label {j}: box2d needs x1, y1, x2, y2, got {box!r}")
        try:
            x1, y1, x2, y2 = (float(box[k]) for k in BOX_KEYS)
        except (TypeError, ValueError):
            raise SampleError(path, video_id, f"{where} label {j}: non-numeric box2d {box!r}") from None
        if not all(np.isfinite([x1, y1, x2, y2])):
            raise SampleError(path, video_id, f"{where} label {j}: non-finite box2d {box!r}")
        if x2 < x1 or y2 < y1:
            raise SampleError(path, video_id, f"{where} label {j}: box2d has x2 < x1 or y2 < y1: {box!r}")


def assign_slots(labels: list[dict], num_slots: int) -> tuple[np.ndarray, np.ndarray]:
    """Maps one frame's label records to ``(num_slots, 4)`` pixel boxes and a ``(num_slots,)`` mask."""
    boxes = np.zeros((num_slots, 4), np.float32)
    mask = np.zeros(num_slots, bool)
    n_hand_slots = min(NUM_HANDS, num_slots)
    obj_slots = list(range(n_hand_slots, num_slots))
    hands = [lab for lab in labels if lab["standard_category"] == "hand"]
    objects = [lab for lab in labels if lab["standard_category"] != "hand"]
    for slot, lab in zip(range(n_hand_slots), hands):
        boxes[slot] = [lab["box2d"][k] for k in BOX_KEYS]
        mask[slot] = True
    leftover = []
    for lab in objects:  # placeholder k → slot 2 + k when free
        cat = str(lab["standard_category"])
        slot = n_hand_slots + int(cat) if cat.isdigit() else -1
        if slot in obj_slots and not mask[slot]:
            boxes[slot] = [lab["box2d"][k] for k in BOX_KEYS]
            mask[slot] = True
        else:
            leftover.append(lab)
    for lab in leftover:
        free = [s for s in obj_slots if not mask[s]]
        if not free:
            break
        boxes[free[0]] = [lab["box2d"][k] for k in BOX_KEYS]
        mask[free[0]] = True
    return boxes, mask


# Parsed box files kept per process (a data-loader worker has its own): a small dataset's files are read
# and validated once instead of every epoch. An entry is keyed by the file's size and modification time, so
# an edited file is read again; its arrays are read-only, so no caller can change what the next one gets.
_BOX_CACHE: OrderedDict[tuple, VideoBoxes] = OrderedDict()
BOX_CACHE_SIZE = 4096


def load_box_file(path: str, video_id: str, num_slots: int) -> VideoBoxes:
    """Reads and validates a per-video box file (cached, see ``_BOX_CACHE``); raises ``SampleError`` on any
    schema problem."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise SampleError(path, video_id, "box file is missing") from None
    key = (path, st.st_mtime_ns, st.st_size, num_slots)
    hit = _BOX_CACHE.get(key)
    if hit is not None:
        _BOX_CACHE.move_to_end(key)
        return hit
    vb = _read_box_file(path, video_id, num_slots)
    for arr in (vb.boxes, vb.mask, vb.raw):
        arr.setflags(write=False)
    _BOX_CACHE[key] = vb
    if len(_BOX_CACHE) > BOX_CACHE_SIZE:
        _BOX_CACHE.popitem(last=False)
    return vb


def _read_box_file(path: str, video_id: str, num_slots: int) -> VideoBoxes:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise SampleError(path, video_id, "box file is missing") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SampleError(path, video_id, f"box file is not valid JSON: {exc}") from None
    if not isinstance(data, list) or not data:
        raise SampleError(path, video_id, "box file must be a non-empty JSON array of frame records")
    numbers = []
    boxes = np.zeros((len(data), num_slots, 4), np.float32)
    mask = np.zeros((len(data), num_slots), bool)
    raw = []
    for pos, rec in enumerate(data):
        validate_record(rec, path, video_id, pos)
        numbers.append(int(_FRAME_NUM_RE.search(rec["name"]).group(1)))
        boxes[pos], mask[pos] = assign_slots(rec["labels"], num_slots)
        raw.extend([pos, *(float(lab["box2d"][k]) for k in BOX_KEYS)] for lab in rec["labels"])
    return VideoBoxes(numbers, boxes, mask, path, np.asarray(raw, np.float32).reshape(-1, 5))


def boxes_off_frame(raw: np.ndarray, width: float, height: float, tolerance: float) -> np.ndarray:
    """Mask of the ``raw`` rows whose box reaches more than ``tolerance`` x the frame size outside
    ``[0, width] x [0, height]``, or has no part inside it."""
    x1, y1, x2, y2 = raw[:, 1], raw[:, 2], raw[:, 3], raw[:, 4]
    tw, th = tolerance * width, tolerance * height
    beyond = (x1 < -tw) | (y1 < -th) | (x2 > width + tw) | (y2 > height + th)
    outside = (x1 >= width) | (y1 >= height) | (x2 <= 0) | (y2 <= 0)
    return beyond | outside


def fit_to_frame(
    vb: VideoBoxes, width: int, height: int, video_id: str, tolerance: float, policy: str
) -> VideoBoxes | None:
    """``vb`` when every box fits the ``width x height`` frame; otherwise ``SampleError`` naming the
    file, the first bad frame and box (policy "error": a counted bad sample), or None with a WARNING
    (policy "drop": the video is used without boxes)."""
    if policy not in BAD_BOX_POLICIES:
        raise ValueError(f"DATA.BAD_BOXES must be one of {BAD_BOX_POLICIES}, got {policy!r}")
    if (width, height, tolerance) in vb.fits:
        return vb
    bad = boxes_off_frame(vb.raw, width, height, tolerance)
    if not bad.any():
        vb.fits.add((width, height, tolerance))
        return vb
    first = vb.raw[int(np.argmax(bad))]
    box = [round(float(v), 2) for v in first[1:]]
    reason = (
        f"box file does not fit the {width}x{height} frames: {int(bad.sum())} of {len(bad)} boxes lie outside "
        f"them (by more than DATA.BOX_TOLERANCE {tolerance:g} of the frame size, or entirely), first at frame "
        f"{vb.frame_numbers[int(first[0])]}: box {box}"
    )
    if policy == "error":
        raise SampleError(vb.path, video_id, reason + " (DATA.BAD_BOXES drop keeps such videos without boxes)")
    if vb.path not in _WARNED_DROPPED:
        _WARNED_DROPPED.add(vb.path)
        logger.warning(
            "%s (file: %s, video id: %s); using the video without boxes (DATA.BAD_BOXES drop)",
            reason,
            vb.path,
            video_id,
        )
    return None


def box_file_path(box_dir: str, video_id: str) -> str:
    """``<box_dir>/<int(video_id)>.json`` for numeric ids (SSv2), else ``<box_dir>/<video_id>.json``."""
    name = str(int(video_id)) if str(video_id).isdigit() else str(video_id)
    return os.path.join(box_dir, name + ".json")
