"""decord / decord2 backend (``import decord``): random access through its own frame index.
Note: decord2 3.4 cannot return frames narrower than 64 pixels (it fails with a buffer-size
check); such files are reported as bad samples like any decoding failure."""
from __future__ import annotations

import numpy as np

from svit.data.decoders.base import register_backend
from svit.data.decoders.frame_map import FrameMapSource
from svit.data.errors import SampleError


class DecordSource(FrameMapSource):
    def __init__(self, path: str, video_id: str, target_fps: float = 0.0, tolerance: float = 0.1) -> None:
        super().__init__(path, video_id)
        import decord  # optional dependency

        self.require_file()
        try:
            self.reader = decord.VideoReader(path, ctx=decord.cpu(0), num_threads=1)
            n = len(self.reader)
            fps = float(self.reader.get_avg_fps() or 0.0)
        except (RuntimeError, decord.DECORDError) as exc:
            raise SampleError(path, video_id, f"video cannot be decoded: {exc}") from exc
        self.index_frames(n, fps, target_fps, tolerance)
        self._error = decord.DECORDError

    def _read(self, indices: list[int]) -> np.ndarray:
        try:
            return self.reader.get_batch([self.map[i] for i in indices]).asnumpy()
        except (RuntimeError, self._error) as exc:
            raise SampleError(self.path, self.video_id, f"frames cannot be decoded: {exc}") from exc

    def close(self) -> None:
        self.reader = None


def open_decord(path: str, video_id: str, **kw) -> DecordSource:
    """``DATA.DECODING_BACKEND decord`` opener (options: ``target_fps``, ``tolerance``)."""
    return DecordSource(path, video_id, target_fps=kw.get("target_fps", 0.0), tolerance=kw.get("tolerance", 0.1))


register_backend("decord", open_decord, "decord")
