"""``ssv2_frames``: single annotated SSv2 frames with HAOG targets, for SViT image co-training
(SViT, Ben Avraham et al., NeurIPS 2022; github.com/eladb3/SViT, with the original's target bugs fixed — see
``svit.data.haog``).

One item per annotated train video per epoch: a uniformly random annotated frame in training (the
middle one for val/test). Slots ``[hand0, hand1, object0, object1]`` are filled and paired in the
original frame; contact states are computed there; then the frame and its boxes go through the same
augmentation pipeline as clips with T = 1. Item: ``image (C,H,W)``, ``haog_boxes (O,4)`` normalised
cx,cy,w,h (zeros = missing), ``haog_mask (O,)``, ``contact_state (2,)`` int64 (-1 also when the hand
or its object was cropped away by the augmentation), ``index``, ``num_bad``.
Videos are those of the split's list that have a box file (never the ones without), optionally
restricted to the JSON id list IMAGE_TRAIN.SUBSET_FILE (relative to DATA.PATH_TO_DATA_DIR). A box
file that does not fit the frame follows DATA.BAD_BOXES as for clips (``svit.data.boxes.fit_to_frame``):
a counted bad sample, or ("drop") the frame without targets.
``synthetic_ssv2_frames`` is the same on the generated synthetic dataset.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from svit.data.boxes import BAD_BOX_POLICIES, box_file_path, fit_to_frame, load_box_file
from svit.data.decoders import open_video
from svit.data.errors import SampleError
from svit.data.haog import MISSING, contact_states, pair_hands_objects
from svit.data.registry import DATASET_REGISTRY
from svit.data.robust import load_robust
from svit.data.sources.paths import data_dir, prefix_dir, under
from svit.data.sources.ssv2 import flip_swap_for, list_file_for
from svit.data.sources.synthetic_ssv2 import synthetic_cfg
from svit.data.ssv2_annotations import class_names_from_map, load_label_map, load_split_list, load_video_id_list
from svit.data.transforms.pipeline import build_clip_transform
from svit.data.video_dataset import item_rng
from svit.data.video_reader import read_frame_folder


def xyxy_to_cxcywh(boxes: torch.Tensor) -> torch.Tensor:
    return torch.stack(
        [
            (boxes[..., 0] + boxes[..., 2]) / 2,
            (boxes[..., 1] + boxes[..., 3]) / 2,
            boxes[..., 2] - boxes[..., 0],
            boxes[..., 3] - boxes[..., 1],
        ],
        -1,
    )


class SSv2FrameDataset(Dataset):
    """Annotated frames with HAOG targets (see the module docstring)."""

    def __init__(self, cfg, split: str, source_name: str = "ssv2_frames") -> None:
        root = data_dir(cfg)
        label_map = load_label_map(under(root, cfg.DATA.LABEL_MAP_FILE or cfg.SSV2.LABEL_MAP))
        self.class_names = class_names_from_map(label_map)
        self.num_classes = len(self.class_names)
        list_path = under(root, list_file_for(cfg, split))
        entries = load_split_list(list_path, label_map)
        box_dir = under(root, cfg.SSV2.BOX_DIR)
        present = set(os.listdir(box_dir)) if os.path.isdir(box_dir) else set()
        empty_key = cfg.SSV2.EMPTY_BOX_TRAIN if split == "train" else cfg.SSV2.EMPTY_BOX_VAL
        excluded = load_video_id_list(under(root, empty_key), "list of video ids without boxes") if empty_key else set()
        subset = None
        if cfg.IMAGE_TRAIN.SUBSET_FILE:
            subset = load_video_id_list(under(root, cfg.IMAGE_TRAIN.SUBSET_FILE), "IMAGE_TRAIN.SUBSET_FILE")
        kept = [
            (v, l)
            for v, l in entries
            if os.path.basename(box_file_path(box_dir, v)) in present
            and v not in excluded
            and (subset is None or v in subset)
        ]
        if not kept:
            raise ValueError(f"{source_name} {split}: no annotated videos in {list_path} (box dir {box_dir})")
        self.split, self.train = split, split == "train"
        self.video_ids = [v for v, _ in kept]
        self.labels = [l for _, l in kept]
        self.num_videos = len(kept)
        self.num_views = 1
        self.box_dir = box_dir
        self.backend = cfg.DATA.DECODING_BACKEND
        prefix = prefix_dir(cfg)
        self.frames_dir, self.videos_dir = under(prefix, cfg.SSV2.FRAMES_DIR), under(prefix, cfg.SSV2.VIDEOS_DIR)
        self.template = cfg.DATA.FRAME_TEMPLATE
        self.start_index = int(cfg.DATA.FRAME_START_INDEX)
        self.num_boxes = int(cfg.DATA.NUM_BOXES)
        self.rule, self.distance = cfg.SVIT.CONTACT_RULE, float(cfg.SVIT.CONTACT_DISTANCE)
        self.max_retries = int(cfg.DATA.MAX_RETRIES)
        self.box_tolerance, self.bad_boxes = float(cfg.DATA.BOX_TOLERANCE), cfg.DATA.BAD_BOXES
        if self.bad_boxes not in BAD_BOX_POLICIES:
            raise ValueError(f"DATA.BAD_BOXES must be one of {BAD_BOX_POLICIES}, got {self.bad_boxes!r}")
        self.transform = build_clip_transform(cfg, split, flip_swap_for(cfg, self.class_names))
        self.split_info = {
            "source": source_name,
            "split": split,
            "list_file": list_path,
            "num_listed": len(entries),
            "num_annotated": self.num_videos,
            "subset_file": cfg.IMAGE_TRAIN.SUBSET_FILE or None,
        }

    def __len__(self) -> int:
        return self.num_videos

    def load(self, index: int, rng: np.random.Generator) -> dict[str, Any]:
        try:
            return self._load(index, rng)
        except SampleError:
            raise
        except Exception as exc:  # a bug or an unexpected input: fail with the video's context
            raise RuntimeError(f"{self.split} frame item of video {self.video_ids[index]} failed: {exc!r}") from exc

    def _load(self, index: int, rng: np.random.Generator) -> dict[str, Any]:
        vid = self.video_ids[index]
        vb = load_box_file(box_file_path(self.box_dir, vid), vid, self.num_boxes)
        pos = int(rng.integers(len(vb))) if self.train else len(vb) // 2
        number = vb.frame_numbers[pos]
        if self.backend == "frames":
            frame = read_frame_folder(os.path.join(self.frames_dir, vid), [number], self.template, vid)
        else:
            path = os.path.join(self.videos_dir, vid + ".webm")
            with open_video(self.backend, path, vid) as video:  # any video backend (svit.data.decoders)
                frame = video.read([number - self.start_index])
        h, w = frame.shape[1:3]
        if fit_to_frame(vb, w, h, vid, self.box_tolerance, self.bad_boxes) is None:  # "drop": no targets
            boxes, mask = np.zeros_like(vb.boxes[pos]), np.zeros_like(vb.mask[pos])
        else:
            boxes, mask = pair_hands_objects(vb.boxes[pos], vb.mask[pos], w, h)
        contact = contact_states(boxes, mask, w, h, self.rule, self.distance)
        image, nboxes, nmask, _ = self.transform(frame, boxes[None], mask[None], -1, rng)
        nmask = nmask[0]
        for hand, obj in ((0, 2), (1, 3)):
            if not (nmask[hand] and nmask[obj]):
                contact[hand] = MISSING
        return {
            "image": image[:, 0],
            "haog_boxes": xyxy_to_cxcywh(nboxes[0]) * nmask[:, None],
            "haog_mask": nmask,
            "contact_state": torch.from_numpy(contact),
            "index": index,
        }

    def __getitem__(self, i: int) -> dict[str, Any]:
        rng = item_rng()
        return load_robust(lambda v: self.load(v, rng), i, self.num_videos, self.max_retries)


@DATASET_REGISTRY.register("ssv2_frames")
def ssv2_frames(cfg, split: str) -> SSv2FrameDataset:
    """Single annotated SSv2 frames with hand/object boxes and contact states (SViT co-training)."""
    return SSv2FrameDataset(cfg, split)


@DATASET_REGISTRY.register("synthetic_ssv2_frames")
def synthetic_ssv2_frames(cfg, split: str) -> SSv2FrameDataset:
    """``ssv2_frames`` on the generated synthetic SSv2 set (tests, CPU smoke runs)."""
    return SSv2FrameDataset(synthetic_cfg(cfg), split, "synthetic_ssv2_frames")
