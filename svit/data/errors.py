"""Error types of the data pipeline.

``SampleError`` marks one unreadable *sample* (a missing/corrupt frame, a truncated video, a bad
box file): the robust loader (``svit/data/robust.py``) logs it and replaces the sample.
``AnnotationError`` marks a broken *dataset definition* (label map, split list) and stops the run
when the dataset is built. Both always name the file and, where there is one, the video id.
"""
from __future__ import annotations


class SampleError(RuntimeError):
    """One sample cannot be read; carries the offending path and video id."""

    def __init__(self, path: str, video_id: str, reason: str) -> None:
        self.path = str(path)
        self.video_id = str(video_id)
        self.reason = reason
        super().__init__(f"{reason} (file: {self.path}, video id: {self.video_id})")


class AnnotationError(ValueError):
    """A label map, split list or list file is malformed."""

    def __init__(self, path: str, reason: str, video_id: str | None = None) -> None:
        self.path = str(path)
        self.video_id = video_id
        where = f"file: {self.path}" + (f", video id: {video_id}" if video_id is not None else "")
        super().__init__(f"{reason} ({where})")
