"""Reading frames of one video: JPEG frame folders (OpenCV) or video files (PyAV).

Both readers return RGB ``uint8`` arrays ``(T, H, W, 3)`` for a list of 0-based indices plus the
real frame size, because boxes are normalised by the size of the frames actually read. Every
failure becomes a ``SampleError`` naming the path and the video id, so a bad file is reported
where it is found instead of crashing a worker without context.
"""
from __future__ import annotations

import os
from fractions import Fraction
from typing import Sequence

import cv2
import numpy as np

from svit.data.errors import SampleError

cv2.setNumThreads(1)  # data workers are processes; OpenCV threads would oversubscribe the cores


def read_image_rgb(path: str, video_id: str) -> np.ndarray:
    """Decodes one image file to RGB uint8 ``(H, W, 3)``; raises ``SampleError`` if unreadable."""
    if not os.path.isfile(path):
        raise SampleError(path, video_id, "frame file is missing")
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise SampleError(path, video_id, "frame file cannot be decoded (corrupt or not an image)")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def count_frame_files(folder: str, template: str, start_index: int, video_id: str) -> int:
    """Number of consecutive frame files ``template.format(start_index + k)`` in ``folder``."""
    if not os.path.isdir(folder):
        raise SampleError(folder, video_id, "frame folder is missing")
    names = set(os.listdir(folder))
    n = 0
    while template.format(start_index + n) in names:
        n += 1
    if n == 0:
        raise SampleError(
            folder, video_id, f"frame folder has no frame {template.format(start_index)!r}"
        )
    return n


def read_frame_folder(
    folder: str,
    frame_numbers: Sequence[int],
    template: str,
    video_id: str,
) -> np.ndarray:
    """Reads the frames with the given file numbers; returns ``(T, H, W, 3)`` RGB uint8."""
    cache: dict[int, np.ndarray] = {}
    out = []
    for num in frame_numbers:
        if num not in cache:
            cache[num] = read_image_rgb(os.path.join(folder, template.format(num)), video_id)
        out.append(cache[num])
    shapes = {f.shape for f in out}
    if len(shapes) != 1:
        raise SampleError(folder, video_id, f"frames of one video have different sizes {sorted(shapes)}")
    return np.stack(out)


def decode_video(path: str, video_id: str, target_fps: float = 0.0) -> list[np.ndarray]:
    """Decodes every frame of a video file with PyAV (RGB uint8), optionally resampled to
    ``target_fps`` by nearest timestamps. Raises ``SampleError`` for missing, corrupt or empty
    files (a truncated webm usually fails here)."""
    import av  # local import: PyAV is only needed by the video backend

    if not os.path.isfile(path):
        raise SampleError(path, video_id, "video file is missing")
    frames: list[np.ndarray] = []
    times: list[float] = []
    try:
        with av.open(path) as container:
            if not container.streams.video:
                raise SampleError(path, video_id, "file has no video stream")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            tb = stream.time_base or Fraction(1, 1)
            for frame in container.decode(stream):
                frames.append(frame.to_ndarray(format="rgb24"))
                times.append(float(frame.pts * tb) if frame.pts is not None else len(times))
    except SampleError:
        raise
    except (av.error.FFmpegError, OSError, ValueError) as exc:  # corrupt / truncated container
        raise SampleError(path, video_id, f"video cannot be decoded: {exc}") from exc
    if not frames:
        raise SampleError(path, video_id, "video decoded to zero frames (truncated or corrupt)")
    if target_fps and target_fps > 0 and len(frames) > 1:
        t0, t1 = times[0], times[-1]
        grid = np.arange(t0, t1 + 1e-6, 1.0 / target_fps)
        src = np.searchsorted(np.asarray(times), grid, side="left").clip(0, len(frames) - 1)
        frames = [frames[i] for i in src]
    return frames


def stack_indices(frames: list[np.ndarray], indices: Sequence[int], path: str, video_id: str) -> np.ndarray:
    """Gathers decoded frames by 0-based index into ``(T, H, W, 3)``."""
    bad = [i for i in indices if not 0 <= i < len(frames)]
    if bad:
        raise SampleError(path, video_id, f"frame index {bad[0]} out of range: video has {len(frames)} frames")
    return np.stack([frames[i] for i in indices])
