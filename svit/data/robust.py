"""Replacing unreadable samples without hiding them.

``load_robust`` calls ``load(video_index)``; when it raises ``SampleError`` the failure is logged
with its path and video id, and a deterministically chosen other video is tried instead:
``(index + k * stride) % num_videos`` for attempt ``k`` (``stride`` coprime with the dataset size,
so attempts visit distinct videos). After ``max_attempts`` failures in a row it raises a
``RuntimeError`` listing every failure — a broken dataset stops the run instead of looping. The
item carries ``num_bad`` = 1 when the requested video was unreadable (however many replacements
it took: each failure is logged, but the sample counts once), else 0; the trainer sums it and compares
the fraction of samples with ``DATA.MAX_BAD_FRACTION``, so it never passes 100%. Note: the item's
``index`` is the video actually loaded, so labels, indices and inputs always agree.

Evaluation never substitutes (``substitute=False``, used by the val and test splits): a prediction
for another video would be scored against the wrong video's label. The item of an unreadable
video is then a *placeholder*: the structure of a readable item (found the same way, so batches
still collate) with every array zeroed, ``label`` -1, the requested ``index``, ``missing`` True and
``num_bad`` 1. The evaluator drops placeholders from every metric and counts them. Every item
carries ``missing`` (False for real ones).
"""
from __future__ import annotations

import logging
import math
from typing import Any, Callable

import numpy as np
import torch

from svit.data.errors import SampleError

logger = logging.getLogger(__name__)
_STRIDE = 7919  # a prime; made coprime with the dataset size below


class BrokenDatasetError(RuntimeError):
    """Every replacement attempt failed: the dataset (not one sample) is broken."""

    def __init__(self, message: str) -> None:  # one argument: DataLoader workers re-raise it by type
        super().__init__(message)


def replacement_index(index: int, attempt: int, num_videos: int) -> int:
    """The video tried at ``attempt`` (0 = the requested one)."""
    stride = _STRIDE
    while math.gcd(stride, num_videos) != 1:
        stride += 1
    return (index + attempt * stride) % num_videos


def placeholder_of(item: dict[str, Any], index: int) -> dict[str, Any]:
    """A readable item turned into the placeholder of unreadable video ``index`` (see the module doc)."""
    out: dict[str, Any] = {}
    for k, v in item.items():
        if isinstance(v, torch.Tensor):
            out[k] = torch.zeros_like(v)
        elif isinstance(v, np.ndarray):
            out[k] = np.zeros_like(v)
        else:
            out[k] = v
    out.update(index=index, label=-1, missing=True, num_bad=1)
    return out


def load_robust(
    load: Callable[[int], dict[str, Any]], index: int, num_videos: int, max_attempts: int, substitute: bool = True
) -> dict[str, Any]:
    """Loads video ``index``, or a replacement (``substitute``) or a placeholder (evaluation) when it
    is unreadable; sets ``item["num_bad"]`` and ``item["missing"]``."""
    failures: list[str] = []
    for attempt in range(max(1, min(max_attempts, num_videos))):
        vid_index = replacement_index(index, attempt, num_videos)
        try:
            item = load(vid_index)
        except SampleError as exc:
            if substitute:
                logger.warning("skipping unreadable sample: %s; trying another video", exc)
            elif attempt == 0:
                logger.warning("unreadable sample: %s; it gets no prediction (counted as missing)", exc)
            failures.append(str(exc))
            continue
        if not substitute and attempt:
            return placeholder_of(item, index)
        item["num_bad"] = int(attempt > 0)
        item["missing"] = False
        return item
    raise BrokenDatasetError(
        f"{len(failures)} samples in a row were unreadable (starting at index {index}); "
        "the dataset is probably broken:\n  " + "\n  ".join(failures)
    )
