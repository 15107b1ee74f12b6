"""Reading frames of one video: JPEG frame folders (OpenCV) or video files (PyAV).

Both readers return RGB ``uint8`` arrays ``(T, H, W, 3)`` for a list of 0-based indices plus the
real frame size, because boxes are normalised by the size of the frames actually read. Every
failure becomes a ``SampleError`` naming the path and the video id, so a bad file is reported
where it is found instead of crashing a worker without context.
"""
from __future__ import annotations

import logging
import os
import re
import string
from fractions import Fraction
from typing import Sequence

import cv2
import numpy as np

from svit.data.errors import SampleError

logger = logging.getLogger(__name__)
cv2.setNumThreads(1)  # data workers are processes; OpenCV threads would oversubscribe the cores


# OpenCV >= 4.10 decodes straight to RGB (the JPEG decoder's own output, no BGR round trip): the same
# pixels as imread + cvtColor (test), one pass less per frame.
_IMREAD_RGB = getattr(cv2, "IMREAD_COLOR_RGB", None)


def read_image_rgb(path: str, video_id: str) -> np.ndarray:
    """Decodes one image file to RGB uint8 ``(H, W, 3)``; raises ``SampleError`` if unreadable.

    The file is not stat'ed first (a stat per frame of every clip): OpenCV answers None for a missing
    file as for a corrupt one, and only then is the file looked for, to say which of the two it is."""
    img = cv2.imread(path, _IMREAD_RGB if _IMREAD_RGB is not None else cv2.IMREAD_COLOR)
    if img is None:
        if not os.path.isfile(path):
            raise SampleError(path, video_id, "frame file is missing")
        raise SampleError(path, video_id, "frame file cannot be decoded (corrupt or not an image)")
    return img if _IMREAD_RGB is not None else cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def _template_regex(template: str) -> re.Pattern:
    """A regex matching the file names ``template.format(n)`` can produce (one integer field)."""
    fields = list(string.Formatter().parse(template))
    if sum(1 for _, name, _, _ in fields if name is not None) != 1:
        raise ValueError(f"frame template {template!r} must have exactly one {{}} field for the frame number")
    out = ""
    for literal, name, _spec, _conv in fields:
        out += re.escape(literal)
        if name is not None:
            out += r"(\d+)"
    return re.compile(out + r"\Z")


def list_frame_numbers(folder: str, template: str, video_id: str) -> list[int]:
    """Sorted numbers of the frame files in ``folder`` named by ``template`` (any name template)."""
    if not os.path.isdir(folder):
        raise SampleError(folder, video_id, "frame folder is missing")
    rx = _template_regex(template)
    nums = []
    for name in os.listdir(folder):
        m = rx.match(name)
        if m and template.format(int(m.group(1))) == name:
            nums.append(int(m.group(1)))
    return sorted(nums)


def _ranges(nums: Sequence[int]) -> str:
    """``[5, 6, 7, 9]`` -> ``"5-7, 9"`` (first ten runs)."""
    runs: list[str] = []
    i = 0
    while i < len(nums) and len(runs) < 10:
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        runs.append(str(nums[i]) if i == j else f"{nums[i]}-{nums[j]}")
        i = j + 1
    return ", ".join(runs) + (", ..." if i < len(nums) else "")


def frame_numbers_to_read(
    folder: str,
    template: str,
    start_index: int,
    video_id: str,
    expected: int | None = None,
    allow_gaps: bool = False,
    whole_folder: bool = True,
) -> list[int]:
    """The frame numbers of one frame-folder video, checked for holes (issue: a gap used to end the
    video silently at the first missing number).

    ``expected`` is the list file's frame count (frames ``start_index .. start_index+expected-1``);
    ``None`` = every file from ``start_index`` on. A missing number inside that range, or a folder
    whose count disagrees with ``expected`` (when ``whole_folder``: the list describes the whole
    folder, not a start..end range of it), raises ``SampleError`` (a bad, counted sample); with
    ``allow_gaps`` the present frames are returned instead and a warning names the holes.
    """
    present = [n for n in list_frame_numbers(folder, template, video_id) if n >= start_index]
    if not present:
        raise SampleError(folder, video_id, f"frame folder has no frame {template.format(start_index)!r}")
    last = start_index + expected - 1 if expected is not None else present[-1]
    wanted = range(start_index, last + 1)
    have = set(present)
    missing = [n for n in wanted if n not in have]
    extra = [n for n in present if n > last]
    problem = ""
    if missing:
        span = f"{template.format(start_index)}..{template.format(last)}"
        problem = f"frame folder numbering has holes: frames {_ranges(missing)} of {span} are missing"
    elif extra and whole_folder:
        problem = f"frame folder holds {len(present)} frames but the list file says {expected}"
    if not problem:
        return list(wanted)
    if not allow_gaps:
        raise SampleError(folder, video_id, problem + " (set DATA.FRAME_GAPS skip to read the frames present)")
    kept = [n for n in present if n <= last]
    if not kept:
        raise SampleError(folder, video_id, problem + "; no frame of the listed range is present")
    logger.warning("%s: %s; reading the %d frames present (file: %s)", video_id, problem, len(kept), folder)
    return kept


def frame_folder_length(folder: str, template: str, start_index: int, video_id: str) -> int:
    """Number of frames of a complete folder ``start_index..last``; raises ``SampleError`` when
    the folder is missing, empty or its numbering has holes."""
    return len(frame_numbers_to_read(folder, template, start_index, video_id))


def count_frame_files(folder: str, template: str, start_index: int, video_id: str) -> int:
    """Kept name of :func:`frame_folder_length` (callers in data_tools)."""
    return frame_folder_length(folder, template, start_index, video_id)


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


def declared_frame_count(container, stream) -> float | None:
    """Frames the container says the stream has: its frame count, else duration x average rate
    (WebM/Matroska headers carry only the duration). None when the header says neither."""
    if stream.frames and stream.frames > 0:
        return float(stream.frames)
    rate = stream.average_rate or stream.guessed_rate
    if not rate:
        return None
    if stream.duration and stream.time_base:
        seconds = float(stream.duration * stream.time_base)
    elif container.duration:
        seconds = container.duration / 1_000_000  # AV_TIME_BASE units
    else:
        return None
    return seconds * float(rate)


def probe_declared_frames(path: str) -> float | None:
    """The header's frame count of ``path`` (see :func:`declared_frame_count`) without decoding;
    None when the header cannot be read (the decoder then reports the error)."""
    import av

    try:
        with av.open(path) as container:
            if not container.streams.video:
                return None
            return declared_frame_count(container, container.streams.video[0])
    except (av.error.FFmpegError, OSError, ValueError):
        return None


def check_not_truncated(decoded: int, declared: float | None, tolerance: float, path: str, video_id: str) -> None:
    """Raises ``SampleError`` when fewer than ``(1 - tolerance) * declared`` frames decoded (minus
    one frame of rounding): a truncated file otherwise reads as a shorter clip. ``tolerance < 0``
    disables the check."""
    if declared is None or tolerance < 0:
        return
    if decoded < declared * (1.0 - tolerance) - 1:
        raise SampleError(path, video_id, f"video decoded to {decoded} frames but its header declares about "
                          f"{declared:.0f} (truncated or corrupt; DATA.DECODE_TOLERANCE {tolerance})")


def decode_video(path: str, video_id: str, target_fps: float = 0.0, tolerance: float = 0.1,
                 rgb: bool = True) -> list:
    """Decodes every frame of a video file with PyAV (RGB uint8), optionally resampled to
    ``target_fps`` by nearest timestamps. Raises ``SampleError`` for missing, corrupt, empty or
    truncated files (decoded frames short of the header's count by more than ``tolerance``).
    ``rgb=False`` returns the decoded ``av.VideoFrame``s instead, for a caller that converts only the
    frames it samples (``frames_to_rgb``)."""
    import av  # local import: PyAV is only needed by the video backend
    from av.video.reformatter import VideoReformatter

    reformatter = VideoReformatter()  # one conversion context for all frames (to_ndarray builds one per frame)

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
            declared = declared_frame_count(container, stream)
            tb = stream.time_base or Fraction(1, 1)
            for frame in container.decode(stream):
                frames.append(reformatter.reformat(frame, format="rgb24").to_ndarray() if rgb else frame)
                times.append(float(frame.pts * tb) if frame.pts is not None else len(times))
    except SampleError:
        raise
    except (av.error.FFmpegError, OSError, ValueError) as exc:  # corrupt / truncated container
        raise SampleError(path, video_id, f"video cannot be decoded: {exc}") from exc
    if not frames:
        raise SampleError(path, video_id, "video decoded to zero frames (truncated or corrupt)")
    check_not_truncated(len(frames), declared, tolerance, path, video_id)
    if target_fps and target_fps > 0 and len(frames) > 1:
        frames = [frames[i] for i in resample_to_fps(times, target_fps)]
    return frames


def frames_to_rgb(frames: Sequence, indices: Sequence[int]) -> np.ndarray:
    """``(T, H, W, 3)`` RGB uint8 of the decoded ``av.VideoFrame``s at ``indices`` (each converted once,
    with one conversion context: the same pixels as ``decode_video``'s)."""
    from av.video.reformatter import VideoReformatter

    reformatter = VideoReformatter()
    rgb = {i: reformatter.reformat(frames[i], format="rgb24").to_ndarray() for i in dict.fromkeys(indices)}
    return np.stack([rgb[i] for i in indices])


_TICK_TOLERANCE_S = 1e-6  # frame times from pts x time_base are exact to far better than this


def resample_to_fps(times: Sequence[float], target_fps: float) -> list[int]:
    """Indices of the decoded frames at or after each tick of a ``target_fps`` grid starting at the first
    frame. Ticks are ``t0 + k / fps`` (not a running sum) and a frame within 1 µs before a tick counts as
    on it: float rounding of times like 3/25 must not push a tick past its frame (at equal rates that
    repeated some frames and skipped the next)."""
    t = np.asarray(times, dtype=np.float64)
    count = int(np.floor((t[-1] - t[0] + _TICK_TOLERANCE_S) * target_fps)) + 1
    grid = t[0] + np.arange(count, dtype=np.float64) / target_fps
    return np.searchsorted(t, grid - _TICK_TOLERANCE_S, side="left").clip(0, len(t) - 1).tolist()


def stack_indices(frames: list[np.ndarray], indices: Sequence[int], path: str, video_id: str) -> np.ndarray:
    """Gathers decoded frames by 0-based index into ``(T, H, W, 3)``."""
    bad = [i for i in indices if not 0 <= i < len(frames)]
    if bad:
        raise SampleError(path, video_id, f"frame index {bad[0]} out of range: video has {len(frames)} frames")
    return np.stack([frames[i] for i in indices])
