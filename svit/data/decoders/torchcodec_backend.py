"""TorchCodec backend: exact seeking (a scan of the file builds the frame index), so only the
sampled frames are decoded. The scanned count is checked against the header like PyAV's."""
from __future__ import annotations

import io

import numpy as np

from svit.data.decoders.base import register_backend
from svit.data.decoders.frame_map import FrameMapSource
from svit.data.errors import SampleError


class TorchCodecSource(FrameMapSource):
    def __init__(self, path: str, video_id: str, target_fps: float = 0.0, tolerance: float = 0.1) -> None:
        super().__init__(path, video_id)
        from torchcodec.decoders import VideoDecoder  # optional dependency

        self.require_file()
        try:
            self.decoder = VideoDecoder(path, seek_mode="exact", dimension_order="NHWC", num_ffmpeg_threads=1)
            meta = self.decoder.metadata
            n = int(len(self.decoder))
        except (RuntimeError, ValueError) as exc:
            raise SampleError(path, video_id, f"video cannot be decoded: {exc}") from exc
        self.index_frames(n, float(meta.average_fps or 0.0), target_fps, tolerance)

    def _read(self, indices: list[int]) -> np.ndarray:
        native = [self.map[i] for i in indices]
        unique = sorted(set(native))
        try:
            batch = self.decoder.get_frames_at(indices=unique).data.numpy()
        except (RuntimeError, ValueError, IndexError) as exc:
            raise SampleError(self.path, self.video_id, f"frames {unique} cannot be decoded: {exc}") from exc
        pos = {n: k for k, n in enumerate(unique)}
        return np.ascontiguousarray(batch[[pos[n] for n in native]])


def open_torchcodec(path: str, video_id: str, **kw) -> TorchCodecSource:
    """``DATA.DECODING_BACKEND torchcodec`` opener (options: ``target_fps``, ``tolerance``)."""
    return TorchCodecSource(path, video_id, target_fps=kw.get("target_fps", 0.0), tolerance=kw.get("tolerance", 0.1))


def torchcodec_decodes() -> bool:
    """TorchCodec loads the system's FFmpeg libraries only when a decoder is made: whether a two-frame
    video made in memory decodes."""
    try:
        from torchcodec.decoders import VideoDecoder  # optional dependency

        return len(VideoDecoder(_tiny_mp4())) == 2
    except Exception:  # noqa: BLE001 - any failure to load or decode means "not usable here"
        return False


def _tiny_mp4() -> bytes:
    import av  # measured import cost: ~0.2 s, paid only when the probe runs

    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as c:
        s = c.add_stream("mpeg4", rate=5)
        s.width, s.height, s.pix_fmt = 16, 16, "yuv420p"
        for _ in range(2):
            c.mux(s.encode(av.VideoFrame.from_ndarray(np.zeros((16, 16, 3), np.uint8), format="rgb24")))
        c.mux(s.encode())
    return buf.getvalue()


register_backend("torchcodec", open_torchcodec, "torchcodec", probe=torchcodec_decodes)
