"""Repeated augmentation (``AUG.NUM_SAMPLE``, PySlowFast semantics).

PySlowFast decodes a training video once and augments those frames ``NUM_SAMPLE`` times
independently (crop, flip, RandAugment, colour jitter, erasing); the loader then flattens the
samples into the batch, so ``TRAIN.BATCH_SIZE`` counts videos and a step sees
``BATCH_SIZE * NUM_SAMPLE`` clips with the same temporal sampling per video. The wrapper below
does the augmenting part on top of a split transform; ``svit.data.loader`` installs it and
flattens the batch.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch


class RepeatedClipTransform:
    """Same call as ``ClipTransform``; returns ``inputs (N,C,T,H,W)``, ``boxes (N,T,O,4)``,
    ``mask (N,T,O)`` and ``labels (N,)`` int64 (a horizontal flip may swap a clip's label)."""

    def __init__(self, base: Callable, num_samples: int) -> None:
        if num_samples < 1:
            raise ValueError(f"AUG.NUM_SAMPLE must be >= 1, got {num_samples}")
        self.base = base
        self.num_samples = int(num_samples)

    def __call__(self, frames: np.ndarray, boxes: np.ndarray, mask: np.ndarray, label: int,
                 rng: np.random.Generator, spatial_idx: int = 0):
        outs = [
            self.base(np.array(frames, copy=True), boxes, mask, label, rng, spatial_idx)
            for _ in range(self.num_samples)
        ]
        inputs, out_boxes, out_mask, labels = zip(*outs)
        return (torch.stack(inputs), torch.stack(out_boxes), torch.stack(out_mask),
                torch.tensor([int(v) for v in labels], dtype=torch.int64))
