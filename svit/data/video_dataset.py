"""The one video-clip dataset every video source builds on.

A source (SSv2 JSON lists, list files, the synthetic set) only turns its annotations into
``VideoRecord`` s; this class does the rest the same way for all of them: frame count, temporal
sampling (``svit.data.sampling``), reading frames (folders or PyAV), slot boxes
(``svit.data.boxes``, checked against the frame size: DATA.BAD_BOXES), the split's transform, views
and robust replacement.

Number of frames ``L`` of a video: the length of its box file when it has one, else the record's
known count (list files; checked against the folder: holes or a different count make a bad sample
unless DATA.FRAME_GAPS is "skip"), else the number of frame files / decoded frames. Video files are
read through ``svit.data.decoders`` (DATA.DECODING_BACKEND pyav / torchcodec / decord).
Views: train and val have 1 view (val: centre clip, centre crop); test has
``TEST.NUM_ENSEMBLE_VIEWS * TEST.NUM_SPATIAL_CROPS``; item ``i`` is video ``i // num_views``, view
``i % num_views`` = ``temporal_idx * NUM_SPATIAL_CROPS + spatial_idx``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from svit.data import sampling
from svit.data.boxes import BAD_BOX_POLICIES, VideoBoxes, fit_to_frame, load_box_file
from svit.data.decoders import open_video
from svit.data.decoders.base import BACKENDS
from svit.data.errors import SampleError
from svit.data.robust import load_robust
from svit.data.transforms.pipeline import build_clip_transform
from svit.data.video_reader import frame_numbers_to_read, read_frame_folder

logger = logging.getLogger(__name__)


@dataclass
class VideoRecord:
    """One video of a list: where its frames are and what we know about it."""

    video_id: str
    label: int
    path: str  # frame folder (frames backend) or video file (pyav backend)
    box_path: str | None = None  # Something-Else box file, None = no boxes
    num_frames: int | None = None  # known frame count (list files); None = measure
    start_index: int = 1  # number of the first frame file
    # num_frames must equal the folder's count (TSN lists); False = an explicit start..end range
    # of a possibly longer folder (IBM lists), where only holes inside the range are errors.
    whole_folder: bool = True
    line: int = 0  # line of the list file that defined it (0 = not from a list file), for error messages


def item_rng() -> np.random.Generator:
    """A fresh generator for one item, seeded from torch's RNG (seeded per worker by the loader), so
    runs are reproducible and different epochs/workers draw different augmentations."""
    return np.random.default_rng(int(torch.randint(0, 2**62, (1,)).item()))


class VideoClipDataset(Dataset):
    """Clips + boxes of a list of ``VideoRecord`` s (see the module docstring)."""

    def __init__(
        self,
        cfg,
        split: str,
        records: list[VideoRecord],
        class_names: list[str] | None,
        num_classes: int,
        flip_swap: dict[int, int] | None = None,
        split_info: dict[str, Any] | None = None,
    ) -> None:
        if split not in ("train", "val", "test"):
            raise ValueError(f"split must be train, val or test, got {split!r}")
        if not records:
            raise ValueError(f"{split} split has no videos (split_info: {split_info})")
        d = cfg.DATA
        self.split = split
        self.records = records
        self.video_ids = [r.video_id for r in records]
        self.labels = [r.label for r in records]
        self.num_videos = len(records)
        self.class_names = class_names
        self.num_classes = int(num_classes)
        self.split_info = dict(split_info or {})
        self.backend = d.DECODING_BACKEND
        if self.backend not in BACKENDS:
            raise ValueError(f"DATA.DECODING_BACKEND must be one of {sorted(BACKENDS)}, got {self.backend!r}")
        self.allow_gaps = d.FRAME_GAPS == "skip"
        self.decode_tolerance = float(d.DECODE_TOLERANCE)
        self.template = d.FRAME_TEMPLATE
        self.mode = d.SAMPLING
        self.num_frames = int(d.NUM_FRAMES)
        self.fps_segment = int(d.FRAMES_PER_SEGMENT)
        self.rate = int(d.SAMPLING_RATE)
        self.target_fps = float(d.TARGET_FPS)
        self.num_boxes = int(d.NUM_BOXES)
        self.max_retries = int(d.MAX_RETRIES)
        self.box_tolerance, self.bad_boxes = float(d.BOX_TOLERANCE), d.BAD_BOXES
        if self.bad_boxes not in BAD_BOX_POLICIES:  # refused when the dataset is built, not at the first box file
            raise ValueError(f"DATA.BAD_BOXES must be one of {BAD_BOX_POLICIES}, got {self.bad_boxes!r}")
        sampling.clip_length(self.mode, self.num_frames, self.fps_segment)  # validates DATA.SAMPLING
        self.frames_needed = sampling.frames_needed(self.mode, self.num_frames, self.fps_segment, self.rate)
        self._short_logged = False  # one line per dataset (and loader worker) about padded short videos
        if split == "test":
            self.num_temporal, self.num_spatial = int(cfg.TEST.NUM_ENSEMBLE_VIEWS), int(cfg.TEST.NUM_SPATIAL_CROPS)
        else:
            self.num_temporal, self.num_spatial = 1, 1
        self.num_views = self.num_temporal * self.num_spatial
        self.transform = build_clip_transform(cfg, split, flip_swap)
        self._numbers_cache: dict[int, list[int]] = {}

    def __len__(self) -> int:
        return self.num_videos * self.num_views

    # -- sampling -------------------------------------------------------------------------
    def note_short(self, video_id: str, length: int) -> None:
        """Logs, once per dataset, that a video is shorter than the sampling plan (its clip repeats frames)."""
        if length >= self.frames_needed or self._short_logged:
            return
        self._short_logged = True
        plan = (
            f"{self.num_frames} segments x {self.fps_segment} frames"
            if self.mode == "segment"
            else f"{self.num_frames} frames {self.rate} apart"
        )
        logger.warning(
            "%s video %s has %d frames but the sampling plan (%s) needs %d: its clip repeats frames to fill up. "
            "Logged once per dataset; other short videos are padded the same way without a line each",
            self.split, video_id, length, plan, self.frames_needed,
        )

    def sample_indices(self, length: int, rng: np.random.Generator, temporal_idx: int) -> list[int]:
        train = self.split == "train"
        if self.mode == "segment":
            return sampling.segment_indices(
                length, self.num_frames, self.fps_segment, train, rng, temporal_idx, self.num_temporal
            )
        return sampling.dense_indices(length, self.num_frames, self.rate, train, rng, temporal_idx, self.num_temporal)

    # -- reading --------------------------------------------------------------------------
    def _frames_and_boxes(self, rec: VideoRecord, vid_index: int, rng: np.random.Generator, temporal_idx: int):
        boxes: VideoBoxes | None = load_box_file(rec.box_path, rec.video_id, self.num_boxes) if rec.box_path else None
        if self.backend == "frames":
            if boxes is not None:
                numbers = boxes.frame_numbers
                last = os.path.join(rec.path, self.template.format(max(numbers)))
                if not os.path.isfile(last):
                    raise SampleError(
                        last,
                        rec.video_id,
                        f"frame folder has fewer frames than the box file "
                        f"{rec.box_path} names (last frame {max(numbers)})",
                    )
            else:
                if vid_index not in self._numbers_cache:  # one listing per video and worker, holes checked
                    self._numbers_cache[vid_index] = frame_numbers_to_read(
                        rec.path,
                        self.template,
                        rec.start_index,
                        rec.video_id,
                        rec.num_frames,
                        self.allow_gaps,
                        whole_folder=rec.whole_folder,
                    )
                numbers = self._numbers_cache[vid_index]
            self.note_short(rec.video_id, len(numbers))
            idx = self.sample_indices(len(numbers), rng, temporal_idx)
            frames = read_frame_folder(rec.path, [numbers[i] for i in idx], self.template, rec.video_id)
        else:
            with open_video(
                self.backend, rec.path, rec.video_id, target_fps=self.target_fps, tolerance=self.decode_tolerance
            ) as video:
                if boxes is not None:
                    numbers = boxes.frame_numbers
                    if max(numbers) - rec.start_index >= video.num_frames:
                        raise SampleError(
                            rec.path,
                            rec.video_id,
                            f"video decodes to {video.num_frames} frames but the "
                            f"box file {rec.box_path} names frame {max(numbers)}",
                        )
                else:
                    numbers = [rec.start_index + k for k in range(video.num_frames)]
                self.note_short(rec.video_id, len(numbers))
                idx = self.sample_indices(len(numbers), rng, temporal_idx)
                frames = video.read([numbers[i] - rec.start_index for i in idx])
        if boxes is not None:  # frames are (T, H, W, 3); a file that does not fit them is refused
            boxes = fit_to_frame(
                boxes, frames.shape[2], frames.shape[1], rec.video_id, self.box_tolerance, self.bad_boxes
            )
        if boxes is not None:
            b, m = boxes.boxes[idx], boxes.mask[idx]
        else:
            b = np.zeros((len(idx), self.num_boxes, 4), np.float32)
            m = np.zeros((len(idx), self.num_boxes), bool)
        return frames, b, m

    def load(self, vid_index: int, view: int, rng: np.random.Generator) -> dict[str, Any]:
        """Loads one view of one video (no replacement); raises ``SampleError`` if unreadable."""
        rec = self.records[vid_index]
        temporal_idx, spatial_idx = divmod(view, self.num_spatial)
        try:
            frames, b, m = self._frames_and_boxes(rec, vid_index, rng, temporal_idx)
            inputs, boxes, mask, label = self.transform(frames, b, m, rec.label, rng, spatial_idx)
        except SampleError:
            raise
        except Exception as exc:  # a bug or an unexpected input: fail with the video's context
            raise RuntimeError(f"{self.split} item of video {rec.video_id} ({rec.path}) failed: {exc!r}") from exc
        # a tensor of labels when the transform repeats augmentation (AUG.NUM_SAMPLE, one per clip)
        label = label if isinstance(label, torch.Tensor) else int(label)
        return {"inputs": inputs, "label": label, "boxes": boxes, "box_mask": mask, "index": vid_index, "view": view}

    def __getitem__(self, i: int) -> dict[str, Any]:
        if not 0 <= i < len(self):
            raise IndexError(f"index {i} out of range for {len(self)} items")
        vid_index, view = divmod(i, self.num_views)
        rng = item_rng()
        # val/test never substitute another video: an unreadable one becomes a counted missing prediction
        return load_robust(
            lambda v: self.load(v, view, rng),
            vid_index,
            self.num_videos,
            self.max_retries,
            substitute=self.split == "train",
        )
