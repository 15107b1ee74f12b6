"""List-file datasets (Kinetics CSV, TSN lists, IBM lists) → one ``VideoRecord`` type.

Formats (LIST_DATA.FORMAT, or the registered name):
* ``kinetics_csv`` (``kinetics``): ``path label`` — a video file (pyav) or frame folder (frames);
* ``tsn`` (``tsn_list``): ``path num_frames label`` — frame folder with frames numbered from
  DATA.FRAME_START_INDEX (H2CN/TSM lists);
* ``ibm`` (``ibm_list``): ``path start_frame end_frame label`` — frame folder, frames
  ``start..end`` (IBM action-recognition-pytorch); test lists may omit the label (label -1).
Fields are separated by LIST_DATA.SEPARATOR ("auto": ";" when the line contains one — Kinetics class
folders contain spaces — else whitespace); with whitespace the path is everything before the last
numeric fields, so paths with spaces also work. Paths are relative to DATA.PATH_PREFIX (absolute
paths are kept). Class names come from LIST_DATA.CLASS_NAMES (one per line) when given; the number
of classes is LIST_DATA.NUM_CLASSES, else the number of names, else the train list's
``max(label) + 1`` guarded against typos (``svit.data.sources.class_count`` has the whole rule).
Train/val videos shorter than LIST_DATA.MIN_FRAMES are dropped (test lists are never filtered).
Every malformed line raises ``AnnotationError`` with the file and line number.
"""

from __future__ import annotations

import logging
import os

from svit.data.errors import AnnotationError
from svit.data.registry import DATASET_REGISTRY
from svit.data.sources.class_count import list_class_count
from svit.data.sources.paths import data_dir, prefix_dir, under
from svit.data.ssv2_annotations import pairs_to_swap
from svit.data.video_dataset import VideoClipDataset, VideoRecord

logger = logging.getLogger(__name__)
FORMATS = {"kinetics_csv": 1, "tsn": 2, "ibm": 3}  # numeric fields after the path (with label)


def split_line(line: str, n_numeric: int, separator: str) -> list[str]:
    """``[path, field1, ...]`` with at most ``n_numeric`` trailing fields."""
    sep = (";" if ";" in line else None) if separator == "auto" else (None if separator == " " else separator)
    if sep is None:
        return line.rsplit(None, n_numeric)
    return [p.strip() for p in line.split(sep)]


def parse_list_file(
    path: str,
    fmt: str,
    prefix: str,
    start_index: int,
    video_ext: str = "",
    separator: str = "auto",
    allow_unlabelled: bool = False,
) -> list[VideoRecord]:
    """Parses one list file into records (see the module docstring)."""
    if fmt not in FORMATS:
        raise ValueError(f"LIST_DATA.FORMAT must be one of {sorted(FORMATS)}, got {fmt!r}")
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        raise AnnotationError(path, "list file not found") from None
    n = FORMATS[fmt]
    records = []
    for lineno, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = split_line(line, n, separator)
        where = f"line {lineno} ({line!r})"
        unlabelled = allow_unlabelled and len(parts) == n and fmt != "kinetics_csv"
        if len(parts) != n + 1 and not unlabelled:
            raise AnnotationError(path, f"{where}: expected {n + 1} fields for format {fmt}")
        try:
            nums = [int(p) for p in parts[1:]]
        except ValueError:
            raise AnnotationError(path, f"{where}: non-integer field") from None
        rel = parts[0]
        label = -1 if unlabelled else nums[-1]
        num_frames, start = None, start_index
        if fmt == "tsn":
            num_frames = nums[0]
        elif fmt == "ibm":
            start, end = nums[0], nums[1]
            if end < start:
                raise AnnotationError(path, f"{where}: end frame {end} < start frame {start}", rel)
            num_frames = end - start + 1
        full = under(prefix, rel)
        if video_ext and not os.path.splitext(full)[1]:
            full += video_ext
        vid = os.path.splitext(os.path.basename(rel.rstrip("/")))[0]
        records.append(
            VideoRecord(vid, label, full, None, num_frames, start, whole_folder=fmt != "ibm", line=lineno)
        )
    if not records:
        raise AnnotationError(path, "list file has no entries")
    return records


def read_class_names(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8") as f:
            names = [l.strip() for l in f.read().splitlines() if l.strip()]
    except FileNotFoundError:
        raise AnnotationError(path, "class names file not found") from None
    if len(set(names)) != len(names):
        raise AnnotationError(path, "class names file lists a name twice")
    return names


def build_list_dataset(cfg, split: str, fmt: str, source_name: str) -> VideoClipDataset:
    """Builds a list-file dataset of ``split`` in format ``fmt``."""
    L = cfg.LIST_DATA
    root = data_dir(cfg)
    list_path = under(root, {"train": L.TRAIN_LIST, "val": L.VAL_LIST, "test": L.TEST_LIST}[split])
    records = parse_list_file(
        list_path,
        fmt,
        prefix_dir(cfg),
        int(cfg.DATA.FRAME_START_INDEX),
        L.VIDEO_EXTENSION,
        L.SEPARATOR,
        allow_unlabelled=split == "test",
    )
    names_path = under(root, L.CLASS_NAMES) if L.CLASS_NAMES else ""
    names = read_class_names(names_path) if names_path else None
    num_classes, num_classes_from = list_class_count(
        list_path, split, records, int(L.NUM_CLASSES), names, names_path, int(cfg.MODEL.NUM_CLASSES)
    )
    listed = len(records)
    if split != "test" and L.MIN_FRAMES > 0:
        records = [r for r in records if r.num_frames is None or r.num_frames >= L.MIN_FRAMES]
    info = {
        "source": source_name,
        "format": fmt,
        "split": split,
        "list_file": list_path,
        "num_listed": listed,
        "num_kept": len(records),
        "num_too_short": listed - len(records),
        "num_classes_from": num_classes_from,
    }
    logger.info("%s %s: %d of %d listed videos", source_name, split, len(records), listed)
    return VideoClipDataset(cfg, split, records, names, num_classes, pairs_to_swap(L.FLIP_SWAP_PAIRS), info)


@DATASET_REGISTRY.register("kinetics")
def kinetics(cfg, split: str) -> VideoClipDataset:
    """Kinetics from the official CSV files (label, youtube_id, start, end): one clip per row."""
    return build_list_dataset(cfg, split, "kinetics_csv", "kinetics")


@DATASET_REGISTRY.register("tsn_list")
def tsn_list(cfg, split: str) -> VideoClipDataset:
    """TSN list file: ``path num_frames label`` per line (frame folders or videos)."""
    return build_list_dataset(cfg, split, "tsn", "tsn_list")


@DATASET_REGISTRY.register("ibm_list")
def ibm_list(cfg, split: str) -> VideoClipDataset:
    """IBM list file: ``path start_frame end_frame label`` per line."""
    return build_list_dataset(cfg, split, "ibm", "ibm_list")


@DATASET_REGISTRY.register("list_file")
def list_file(cfg, split: str) -> VideoClipDataset:
    """A list file in the format LIST_DATA.FORMAT names (kinetics_csv, tsn or ibm)."""
    return build_list_dataset(cfg, split, cfg.LIST_DATA.FORMAT, "list_file")
