"""What the seeking backends (decord, TorchCodec) do once a file is open: refuse an empty or truncated
decode and map the served frame indices to native frames (every frame, or those nearest to a
``target_fps`` grid). PyAV decodes every frame up front and frame folders have no header, so they
do not need it."""
from __future__ import annotations

import os

from svit.data.decoders.source import VideoSource, nominal_times
from svit.data.errors import SampleError
from svit.data.video_reader import check_not_truncated, probe_declared_frames, resample_to_fps


class FrameMapSource(VideoSource):
    """A source that seeks to any native frame: ``self.map[i]`` is the native frame served as index ``i``."""

    map: list[int]

    def require_file(self) -> None:
        """SampleError naming the file when it does not exist (checked before the decoder opens it)."""
        if not os.path.isfile(self.path):
            raise SampleError(self.path, self.video_id, "video file is missing")

    def index_frames(self, n: int, fps: float, target_fps: float, tolerance: float) -> None:
        """Checks ``n`` decodable frames against the header's count (``tolerance``), then sets ``map``;
        ``fps`` 0 (unknown) is taken as ``target_fps``."""
        if n == 0:
            raise SampleError(self.path, self.video_id, "video decoded to zero frames (truncated or corrupt)")
        check_not_truncated(n, probe_declared_frames(self.path), tolerance, self.path, self.video_id)
        self.map = list(range(n))
        if target_fps and target_fps > 0 and n > 1:
            self.map = resample_to_fps(nominal_times(n, fps or target_fps), target_fps)

    @property
    def num_frames(self) -> int:
        return len(self.map)
