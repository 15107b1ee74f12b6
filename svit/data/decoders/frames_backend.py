"""Frame folders: image files named by any template from any start index, holes detected."""
from __future__ import annotations

import numpy as np

from svit.data.decoders.base import register_backend
from svit.data.decoders.source import VideoSource
from svit.data.video_reader import frame_numbers_to_read, read_frame_folder


class FrameFolderSource(VideoSource):
    def __init__(self, path: str, video_id: str, template: str = "{:05d}.jpg", start_index: int = 1,
                 expected: int | None = None, allow_gaps: bool = False) -> None:
        super().__init__(path, video_id)
        self.template = template
        self.numbers = frame_numbers_to_read(path, template, start_index, video_id, expected, allow_gaps)

    @property
    def num_frames(self) -> int:
        return len(self.numbers)

    def _read(self, indices: list[int]) -> np.ndarray:
        return read_frame_folder(self.path, [self.numbers[i] for i in indices], self.template, self.video_id)


def open_frames(path: str, video_id: str, **kw) -> FrameFolderSource:
    """``DATA.DECODING_BACKEND frames`` opener (options: ``template``, ``start_index``, ``expected``,
    ``allow_gaps``)."""
    return FrameFolderSource(path, video_id, template=kw.get("template", "{:05d}.jpg"),
                             start_index=kw.get("start_index", 1), expected=kw.get("expected"),
                             allow_gaps=kw.get("allow_gaps", False))


register_backend("frames", open_frames)
