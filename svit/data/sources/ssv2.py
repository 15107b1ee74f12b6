"""Something-Something v2 (+ Something-Else boxes): registered as ``ssv2``.

Annotations under DATA.PATH_TO_DATA_DIR: SSV2.LABEL_MAP, SSV2.TRAIN_LIST / VAL_LIST / TEST_LIST
(the split files of SSV2.SPLIT — standard, compositional, fewshot-base, fewshot-5finetune,
fewshot-10finetune — are whatever files these keys name) and SSV2.BOX_DIR/<id>.json. Frames under
DATA.PATH_PREFIX/SSV2.FRAMES_DIR/<id>/ (DATA.FRAME_TEMPLATE from DATA.FRAME_START_INDEX), or videos
DATA.PATH_PREFIX/SSV2.VIDEOS_DIR/<id>.webm (DATA.DECODING_BACKEND pyav). ``num_classes`` is the
size of the label map (the engine sets MODEL.NUM_CLASSES to it, with a WARNING naming both counts
when the config said another number); every list entry's template must be in the map.

Videos without a box file follow DATA.MISSING_BOXES: "skip" drops them (the original SViT, also on
val/test), "keep" keeps them with empty box masks. ``split_info`` records the policy and the
counts, so test results can state full-set vs box-filtered numbers.
"""

from __future__ import annotations

import logging
import os

from svit.data.boxes import box_file_path
from svit.data.registry import DATASET_REGISTRY
from svit.data.sources.paths import data_dir, prefix_dir, under
from svit.data.ssv2_annotations import (
    class_names_from_map,
    left_right_swap_pairs,
    load_label_map,
    load_split_list,
    load_video_id_list,
    pairs_to_swap,
)
from svit.data.video_dataset import VideoClipDataset, VideoRecord

logger = logging.getLogger(__name__)
_WARNED_CLASS_COUNTS: set[tuple[str, str]] = set()
KNOWN_CLASS_COUNTS = {
    "standard": 174,
    "compositional": 174,
    "fewshot-base": 88,
    "fewshot-5finetune": 86,
    "fewshot-10finetune": 86,
}


def list_file_for(cfg, split: str) -> str:
    s = cfg.SSV2
    return {"train": s.TRAIN_LIST, "val": s.VAL_LIST, "test": s.TEST_LIST or s.VAL_LIST}[split]


def flip_swap_for(cfg, class_names: list[str]) -> dict[int, int]:
    """SSV2.FLIP_SWAP_PAIRS when given, else pairs found from "left"/"right" in the class names."""
    if not cfg.SSV2.FLIP_SWAP_CLASSES:
        return {}
    if len(cfg.SSV2.FLIP_SWAP_PAIRS) > 0:
        return pairs_to_swap(cfg.SSV2.FLIP_SWAP_PAIRS)
    return left_right_swap_pairs(class_names)


def build_ssv2_dataset(cfg, split: str, source_name: str = "ssv2") -> VideoClipDataset:
    """Builds the SSv2 clip dataset of ``split`` (see the module docstring)."""
    root = data_dir(cfg)
    label_map_path = under(root, cfg.DATA.LABEL_MAP_FILE or cfg.SSV2.LABEL_MAP)
    label_map = load_label_map(label_map_path)
    class_names = class_names_from_map(label_map)
    expected = KNOWN_CLASS_COUNTS.get(cfg.SSV2.SPLIT)
    # A label map named by DATA.LABEL_MAP_FILE was chosen on purpose: no warning for it. Otherwise warn
    # once per process and file (train, val and test datasets all read the same map).
    chosen = bool(cfg.DATA.LABEL_MAP_FILE)
    if expected is not None and expected != len(class_names) and source_name == "ssv2" and not chosen:
        if (cfg.SSV2.SPLIT, label_map_path) not in _WARNED_CLASS_COUNTS:
            _WARNED_CLASS_COUNTS.add((cfg.SSV2.SPLIT, label_map_path))
            logger.warning(
                "SSV2.SPLIT %s usually has %d classes but %s has %d (set DATA.LABEL_MAP_FILE to "
                "use this map knowingly)",
                cfg.SSV2.SPLIT,
                expected,
                label_map_path,
                len(class_names),
            )
    list_path = under(root, list_file_for(cfg, split))
    entries = load_split_list(list_path, label_map)
    box_dir = under(root, cfg.SSV2.BOX_DIR)
    empty_key = cfg.SSV2.EMPTY_BOX_TRAIN if split == "train" else cfg.SSV2.EMPTY_BOX_VAL
    if empty_key:
        no_boxes = load_video_id_list(under(root, empty_key), "list of video ids without boxes")
        has_boxes = lambda vid: vid not in no_boxes  # noqa: E731
    else:
        present = set(os.listdir(box_dir)) if os.path.isdir(box_dir) else set()
        has_boxes = lambda vid: os.path.basename(box_file_path(box_dir, vid)) in present  # noqa: E731
    policy = cfg.DATA.MISSING_BOXES
    if policy not in ("skip", "keep"):
        raise ValueError(f"DATA.MISSING_BOXES must be 'skip' or 'keep', got {policy!r}")
    prefix = prefix_dir(cfg)
    backend = cfg.DATA.DECODING_BACKEND
    records, n_without = [], 0
    for vid, label in entries:
        boxed = has_boxes(vid)
        if not boxed:
            n_without += 1
            if policy == "skip":
                continue
        path = (
            os.path.join(under(prefix, cfg.SSV2.FRAMES_DIR), vid)
            if backend == "frames"
            else os.path.join(under(prefix, cfg.SSV2.VIDEOS_DIR), vid + ".webm")
        )
        records.append(
            VideoRecord(
                vid, label, path, box_file_path(box_dir, vid) if boxed else None, None, int(cfg.DATA.FRAME_START_INDEX)
            )
        )
    info = {
        "source": source_name,
        "ssv2_split": cfg.SSV2.SPLIT,
        "split": split,
        "list_file": list_path,
        "label_map": label_map_path,
        "missing_boxes_policy": policy,
        "num_listed": len(entries),
        "num_with_boxes": len(entries) - n_without,
        "num_without_boxes": n_without,
        "num_skipped": n_without if policy == "skip" else 0,
        "num_kept": len(records),
        "num_classes_from": f"the label map {label_map_path}",
    }
    logger.info(
        "%s %s: %d of %d listed videos (%d without boxes, policy %s)",
        source_name,
        split,
        len(records),
        len(entries),
        n_without,
        policy,
    )
    return VideoClipDataset(cfg, split, records, class_names, len(class_names), flip_swap_for(cfg, class_names), info)


@DATASET_REGISTRY.register("ssv2")
def ssv2(cfg, split: str) -> VideoClipDataset:
    """Something-Something v2 clips from the official JSON lists (+ Something-Else boxes when used)."""
    return build_ssv2_dataset(cfg, split)
