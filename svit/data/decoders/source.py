"""The frame-index interface every decoding backend implements (its own module so that the
backends and the backend table both import it and neither imports the other)."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Sequence

import numpy as np

from svit.data.errors import SampleError


class VideoSource(ABC):
    """One opened video: how many frames it has and the frames at given 0-based indices."""

    def __init__(self, path: str, video_id: str) -> None:
        self.path = path
        self.video_id = video_id

    @property
    @abstractmethod
    def num_frames(self) -> int:
        """Frames that ``read`` can return (after any fps resampling)."""

    @abstractmethod
    def _read(self, indices: list[int]) -> np.ndarray:
        """``(T, H, W, 3)`` RGB uint8 for valid indices."""

    def read(self, indices: Sequence[int]) -> np.ndarray:
        """Frames at 0-based ``indices`` (repeats allowed) as ``(T, H, W, 3)`` RGB uint8."""
        idx = [int(i) for i in indices]
        bad = [i for i in idx if not 0 <= i < self.num_frames]
        if bad:
            raise SampleError(self.path, self.video_id,
                              f"frame index {bad[0]} out of range: video has {self.num_frames} frames")
        return self._read(idx)

    def close(self) -> None:
        """Releases file handles (no-op for backends that hold none)."""

    def __enter__(self) -> VideoSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def nominal_times(num_frames: int, fps: float) -> list[float]:
    """Frame times of a constant-rate stream (backends without per-frame timestamps)."""
    return (np.arange(num_frames, dtype=np.float64) / max(fps, 1e-6)).tolist()
