"""Replacing unreadable samples without hiding them.

``load_robust`` calls ``load(video_index)``; when it raises ``SampleError`` the failure is logged
with its path and video id, and a deterministically chosen other video is tried instead:
``(index + k * stride) % num_videos`` for attempt ``k`` (``stride`` coprime with the dataset size,
so attempts visit distinct videos). After ``max_attempts`` failures in a row it raises a
``RuntimeError`` listing every failure — a broken dataset stops the run instead of looping. The
item carries ``num_bad`` = number of skipped samples, which the trainer sums and compares with
``DATA.MAX_BAD_FRACTION``. Note: the item's ``index`` is the video actually loaded, so labels,
indices and inputs always agree.
"""
from __future__ import annotations

import logging
import math
from typing import Any, Callable

from svit.data.errors import SampleError

logger = logging.getLogger(__name__)
_STRIDE = 7919  # a prime; made coprime with the dataset size below


def replacement_index(index: int, attempt: int, num_videos: int) -> int:
    """The video tried at ``attempt`` (0 = the requested one)."""
    stride = _STRIDE
    while math.gcd(stride, num_videos) != 1:
        stride += 1
    return (index + attempt * stride) % num_videos


def load_robust(load: Callable[[int], dict[str, Any]], index: int, num_videos: int, max_attempts: int) -> dict[str, Any]:
    """Loads video ``index`` or a replacement; sets ``item["num_bad"]``."""
    failures: list[str] = []
    for attempt in range(max(1, min(max_attempts, num_videos))):
        vid_index = replacement_index(index, attempt, num_videos)
        try:
            item = load(vid_index)
        except SampleError as exc:
            logger.warning("skipping unreadable sample: %s; trying another video", exc)
            failures.append(str(exc))
            continue
        item["num_bad"] = attempt
        return item
    raise RuntimeError(
        f"{len(failures)} samples in a row were unreadable (starting at index {index}); "
        "the dataset is probably broken:\n  " + "\n  ".join(failures)
    )
