"""Mixing helpers of the mixup/cutmix hook: the cutmix box and a numpy RNG seeded from torch's
(smoothed one-hot targets: ``svit.losses.targets``)."""
from __future__ import annotations

import numpy as np
import torch


def cutmix_box(h: int, w: int, lam: float, rng: np.random.Generator) -> tuple[int, int, int, int]:
    """A box covering about ``1 - lam`` of an ``h x w`` frame, centred uniformly, clipped."""
    cut = np.sqrt(1.0 - lam)
    ch, cw = int(h * cut), int(w * cut)
    cy, cx = int(rng.integers(0, h)), int(rng.integers(0, w))
    y1, y2 = np.clip([cy - ch // 2, cy + ch // 2], 0, h)
    x1, x2 = np.clip([cx - cw // 2, cx + cw // 2], 0, w)
    return int(y1), int(y2), int(x1), int(x2)


def torch_seeded_rng() -> np.random.Generator:
    """A numpy generator drawn from torch's RNG, so the trainer's per-epoch reseeding (and resume)
    makes numpy-side sampling reproducible."""
    return np.random.default_rng(int(torch.randint(0, 2**31 - 1, (1,)).item()))
