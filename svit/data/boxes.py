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
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass

import numpy as np

from svit.data.errors import SampleError

NUM_HANDS = 2
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


def load_box_file(path: str, video_id: str, num_slots: int) -> VideoBoxes:
    """Reads and validates a per-video box file; raises ``SampleError`` on any schema problem."""
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
    for pos, rec in enumerate(data):
        validate_record(rec, path, video_id, pos)
        numbers.append(int(_FRAME_NUM_RE.search(rec["name"]).group(1)))
        boxes[pos], mask[pos] = assign_slots(rec["labels"], num_slots)
    return VideoBoxes(numbers, boxes, mask, path)


def box_file_path(box_dir: str, video_id: str) -> str:
    """``<box_dir>/<int(video_id)>.json`` for numeric ids (SSv2), else ``<box_dir>/<video_id>.json``."""
    name = str(int(video_id)) if str(video_id).isdigit() else str(video_id)
    return os.path.join(box_dir, name + ".json")
