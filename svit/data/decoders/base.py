"""The frame-index API and the backend table (see the package docstring)."""
from __future__ import annotations

import functools
import importlib.util
import io
from abc import ABC, abstractmethod
from typing import Callable, Sequence

import numpy as np

from svit.config.sections import register_key_choices
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


def _pyav(path: str, video_id: str, **kw) -> VideoSource:
    from svit.data.decoders.pyav_backend import PyAVSource

    return PyAVSource(path, video_id, target_fps=kw.get("target_fps", 0.0), tolerance=kw.get("tolerance", 0.1))


def _torchcodec(path: str, video_id: str, **kw) -> VideoSource:
    from svit.data.decoders.torchcodec_backend import TorchCodecSource

    return TorchCodecSource(path, video_id, target_fps=kw.get("target_fps", 0.0), tolerance=kw.get("tolerance", 0.1))


def _decord(path: str, video_id: str, **kw) -> VideoSource:
    from svit.data.decoders.decord_backend import DecordSource

    return DecordSource(path, video_id, target_fps=kw.get("target_fps", 0.0), tolerance=kw.get("tolerance", 0.1))


def _frames(path: str, video_id: str, **kw) -> VideoSource:
    from svit.data.decoders.frames_backend import FrameFolderSource

    return FrameFolderSource(path, video_id, template=kw.get("template", "{:05d}.jpg"),
                             start_index=kw.get("start_index", 1), expected=kw.get("expected"),
                             allow_gaps=kw.get("allow_gaps", False))


# name -> (opener, python module that must be importable)
BACKENDS: dict[str, tuple[Callable[..., VideoSource], str | None]] = {
    "frames": (_frames, None),
    "pyav": (_pyav, "av"),
    "torchcodec": (_torchcodec, "torchcodec"),
    "decord": (_decord, "decord"),
}
# DATA.DECODING_BACKEND takes these names; validate_config checks it.
register_key_choices("DATA.DECODING_BACKEND", BACKENDS)


def register_backend(name: str, opener: Callable[..., VideoSource], module: str | None = None) -> None:
    """Adds decoding backend ``name`` (a plugin's storage format): ``opener(path, video_id, **options)``
    returns a ``VideoSource``; ``module`` is a Python package it needs (None = none)."""
    if name in BACKENDS and BACKENDS[name][0] is not opener:
        raise ValueError(f"decoding backend '{name}' is already registered by {BACKENDS[name][0]!r}")
    BACKENDS[name] = (opener, module)


@functools.lru_cache(maxsize=None)
def backend_works(name: str) -> bool:
    """Whether ``name`` can decode here: its package imports and, for TorchCodec (which loads the
    system's FFmpeg libraries only when a decoder is made), a two-frame video made in memory decodes."""
    module = BACKENDS[name][1]
    if module is None:
        return True
    if importlib.util.find_spec(module) is None:
        return False
    if name != "torchcodec":
        return True
    try:
        from torchcodec.decoders import VideoDecoder

        return len(VideoDecoder(_tiny_mp4())) == 2
    except Exception:  # noqa: BLE001 - any failure to load or decode means "not usable here"
        return False


def _tiny_mp4() -> bytes:
    import av

    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as c:
        s = c.add_stream("mpeg4", rate=5)
        s.width, s.height, s.pix_fmt = 16, 16, "yuv420p"
        for _ in range(2):
            c.mux(s.encode(av.VideoFrame.from_ndarray(np.zeros((16, 16, 3), np.uint8), format="rgb24")))
        c.mux(s.encode())
    return buf.getvalue()


def available_backends() -> list[str]:
    """Backends that can decode here (``frames`` always; optional ones when installed and loadable)."""
    return [name for name in BACKENDS if backend_works(name)]


def open_video(backend: str, path: str, video_id: str, **options) -> VideoSource:
    """Opens ``path`` with ``backend``; options: ``target_fps``, ``tolerance`` (video backends),
    ``template``, ``start_index``, ``expected``, ``allow_gaps`` (frame folders)."""
    if backend not in BACKENDS:
        raise ValueError(f"DATA.DECODING_BACKEND must be one of {sorted(BACKENDS)}, got {backend!r}")
    opener, module = BACKENDS[backend]
    if not backend_works(backend):
        raise ValueError(f"DATA.DECODING_BACKEND {backend!r} needs the Python package {module!r}, which is not "
                         f"installed (installed backends: {available_backends()})")
    return opener(path, video_id, **options)


def nominal_times(num_frames: int, fps: float) -> list[float]:
    """Frame times of a constant-rate stream (backends without per-frame timestamps)."""
    return (np.arange(num_frames, dtype=np.float64) / max(fps, 1e-6)).tolist()
