"""PyAV backend: decodes every frame once (sequential decoding is PyAV's fast path for the short
clips of action datasets) and serves indices from memory, converting to RGB only the frames read."""
from __future__ import annotations

import numpy as np

from svit.data.decoders.base import register_backend
from svit.data.decoders.source import VideoSource
from svit.data.video_reader import decode_video, frames_to_rgb


class PyAVSource(VideoSource):
    def __init__(self, path: str, video_id: str, target_fps: float = 0.0, tolerance: float = 0.1) -> None:
        super().__init__(path, video_id)
        self.frames = decode_video(path, video_id, target_fps, tolerance, rgb=False)

    @property
    def num_frames(self) -> int:
        return len(self.frames)

    def _read(self, indices: list[int]) -> np.ndarray:
        return frames_to_rgb(self.frames, indices)


def open_pyav(path: str, video_id: str, **kw) -> PyAVSource:
    """``DATA.DECODING_BACKEND pyav`` opener (options: ``target_fps``, ``tolerance``)."""
    return PyAVSource(path, video_id, target_fps=kw.get("target_fps", 0.0), tolerance=kw.get("tolerance", 0.1))


register_backend("pyav", open_pyav, "av")
