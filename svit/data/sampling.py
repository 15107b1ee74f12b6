"""Temporal sampling: which frame indices (0-based, into a video of ``L`` frames) form a clip.

Two families, both returning a sorted-in-time ``list[int]`` of length ``num_frames * frames_per_segment``
(segment) or ``num_frames`` (dense):

* **segment** (TSN / SViT on SSv2, as in github.com/eladb3/SViT's SSv2 loader): ``num_segments`` uniform segments with
  bounds ``a_i = round(s*i)``, ``b_i = round(s*(i+1))``, ``s = (L_eff-1)/num_segments``, numpy's
  round-half-to-even, both ends inclusive. Training draws a uniform integer in ``[a_i, b_i]``; the
  deterministic view takes ``floor((a_i+b_i)/2)``. With ``frames_per_segment = F > 1`` (H2CN
  snippets, IBM ``frames_per_group``) each segment yields ``F`` consecutive frames starting at the
  sampled index; the segments then cover ``L_eff = L - F + 1`` starts so the snippet fits, and
  indices past the end repeat the last frame.
  **Several temporal views** (``num_views = K > 1``): view ``k`` takes, in every segment,
  ``a_i + floor((b_i - a_i) * (k + 0.5) / K)``. ``K = 1`` gives exactly the centre rule above; for
  ``K > 1`` the views are evenly spread inside the segments, so they differ (the original repeated
  one identical view K times).
* **dense** (Kinetics / PySlowFast): ``num_frames`` frames ``sampling_rate`` apart. Training
  starts at a uniform random frame in ``[0, max(0, L - span)]`` with ``span = (num_frames-1)*rate+1``;
  view ``k`` of ``K`` starts at ``round(k * max(0, L-span) / (K-1))`` (evenly spaced, the centre for
  K = 1). Indices beyond the end are clamped to the last frame (short videos repeat it).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np


def segment_bounds(num_frames_video: int, num_segments: int) -> np.ndarray:
    """``(num_segments, 2)`` inclusive bounds ``[a_i, b_i]`` of the uniform segments (§6.3)."""
    return _segment_limits(int(num_frames_video), int(num_segments))[0].copy()


@lru_cache(maxsize=1024)
def _segment_limits(num_frames_video: int, num_segments: int) -> tuple[np.ndarray, np.ndarray]:
    """Read-only ``segment_bounds`` and the exclusive highs ``b_i + 1``, computed once per (video
    length, segments): a dataset has few distinct lengths and samples every clip from them."""
    if num_frames_video < 1:
        raise ValueError(f"segment sampling needs a video with at least 1 frame, got {num_frames_video}")
    if num_segments < 1:
        raise ValueError(f"num_segments must be >= 1, got {num_segments}")
    step = (num_frames_video - 1) / num_segments
    edges = np.round(step * np.arange(num_segments + 1)).astype(np.int64)  # half to even
    bounds, highs = np.stack([edges[:-1], edges[1:]], axis=1), edges[1:] + 1
    bounds.setflags(write=False)
    highs.setflags(write=False)
    return bounds, highs


def segment_indices(
    num_frames_video: int,
    num_segments: int,
    frames_per_segment: int = 1,
    train: bool = True,
    rng: np.random.Generator | None = None,
    view: int = 0,
    num_views: int = 1,
) -> list[int]:
    """Frame indices of a segment-sampled clip (see the module docstring)."""
    if frames_per_segment < 1:
        raise ValueError(f"frames_per_segment must be >= 1, got {frames_per_segment}")
    eff = max(1, num_frames_video - frames_per_segment + 1)
    bounds, highs = _segment_limits(eff, int(num_segments))
    if train:
        rng = rng if rng is not None else np.random.default_rng()
        starts = rng.integers(bounds[:, 0], highs)
    else:
        if not 0 <= view < num_views:
            raise ValueError(f"view {view} out of range for {num_views} views")
        span = bounds[:, 1] - bounds[:, 0]
        starts = bounds[:, 0] + np.floor(span * (view + 0.5) / num_views).astype(np.int64)
    idx = starts[:, None] + np.arange(frames_per_segment)[None, :]
    return np.minimum(idx, num_frames_video - 1).reshape(-1).tolist()


def dense_indices(
    num_frames_video: int,
    num_frames: int,
    sampling_rate: int,
    train: bool = True,
    rng: np.random.Generator | None = None,
    view: int = 0,
    num_views: int = 1,
) -> list[int]:
    """Frame indices of a densely sampled clip (see the module docstring)."""
    if num_frames_video < 1:
        raise ValueError(f"dense sampling needs a video with at least 1 frame, got {num_frames_video}")
    span = (num_frames - 1) * sampling_rate + 1
    slack = max(0, num_frames_video - span)
    if train:
        rng = rng if rng is not None else np.random.default_rng()
        start = int(rng.integers(0, slack + 1))
    else:
        if not 0 <= view < num_views:
            raise ValueError(f"view {view} out of range for {num_views} views")
        start = int(round(slack / 2)) if num_views == 1 else int(round(view * slack / (num_views - 1)))
    idx = start + sampling_rate * np.arange(num_frames)
    return np.minimum(idx, num_frames_video - 1).tolist()


def clip_length(mode: str, num_frames: int, frames_per_segment: int) -> int:
    """Frames per clip produced by ``mode`` ("segment" or "dense")."""
    if mode == "segment":
        return num_frames * frames_per_segment
    if mode == "dense":
        return num_frames
    raise ValueError(f"DATA.SAMPLING must be 'segment' or 'dense', got {mode!r}")


def frames_needed(mode: str, num_frames: int, frames_per_segment: int, sampling_rate: int) -> int:
    """Frames a video needs so that its clip repeats none: ``num_frames * frames_per_segment``
    (segment) or the dense span ``(num_frames - 1) * sampling_rate + 1``; shorter videos are padded by
    repeating frames (the last one, or neighbours shared by segments)."""
    if mode == "segment":
        return num_frames * frames_per_segment
    if mode == "dense":
        return (num_frames - 1) * sampling_rate + 1
    raise ValueError(f"DATA.SAMPLING must be 'segment' or 'dense', got {mode!r}")
