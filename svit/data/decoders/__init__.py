"""One frame-index API over every way a video is stored.

``open_video(backend, path, video_id, ...)`` returns a :class:`VideoSource`: ``num_frames`` and
``read(indices) -> (T, H, W, 3)`` RGB ``uint8`` for 0-based frame indices. Backends (``DATA.DECODING_BACKEND``):

* ``frames``: a folder of image files named by any template (``{:05d}.jpg``, ``img_{:05d}.jpg``)
  from any start index, checked for numbering holes;
* ``pyav``: PyAV (FFmpeg), decodes the whole file once, checks it against the header's frame count;
* ``torchcodec``: TorchCodec's exact-seek decoder (torchvision's video reading is being removed
  upstream), reads only the requested frames; used when the package is installed;
* ``decord``: decord / decord2 ``VideoReader``; used when the package is installed.

Optional backends are imported only when opened; :func:`available_backends` says which import.
A plugin adds a storage format with :func:`register_backend` (docs/ARCHITECTURE.md, "How to add a decoder").
"""
from svit.data.decoders import decord_backend, frames_backend, pyav_backend, torchcodec_backend  # noqa: F401 - they register
from svit.data.decoders.base import available_backends, open_video, register_backend
from svit.data.decoders.source import VideoSource

__all__ = ["VideoSource", "available_backends", "open_video", "register_backend"]
