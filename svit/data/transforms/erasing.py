"""Random erasing with one rectangle shared by every frame of a clip (timm ``RandomErasing``
semantics: area fraction U[0.02, 1/3], aspect log-uniform in [0.3, 1/0.3], fill in normalised
space). Boxes are not changed: the object is still there, only occluded."""

from __future__ import annotations

import math

import numpy as np
import torch

from svit.data.transforms.clip import Clip


class ClipRandomErasing:
    def __init__(
        self,
        prob: float,
        mode: str = "pixel",
        count: int = 1,
        min_area: float = 0.02,
        max_area: float = 1 / 3,
        min_aspect: float = 0.3,
    ) -> None:
        if mode not in ("pixel", "rand", "const"):
            raise ValueError(f"AUG.RE_MODE must be pixel, rand or const, got {mode!r}")
        self.prob, self.mode, self.count = prob, mode, count
        self.area = (min_area, max_area)
        self.log_aspect = (math.log(min_aspect), math.log(1 / min_aspect))

    def __call__(self, clip: Clip, rng: np.random.Generator) -> Clip:
        if rng.random() >= self.prob:
            return clip
        return clip.evolve(frames=self.erase_(clip.frames.clone(), rng))

    def apply_(self, frames: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
        """``__call__`` in place on ``(T, C, H, W)`` frames the caller owns (same draws, no copy)."""
        return frames if rng.random() >= self.prob else self.erase_(frames, rng)

    def erase_(self, frames: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
        """Erases the rectangles of ``(T, C, H, W)`` frames in place (the probability already drawn)."""
        t, c, h, w = frames.shape
        for _ in range(self.count):
            for _attempt in range(10):
                target = h * w * rng.uniform(*self.area)
                ar = math.exp(rng.uniform(*self.log_aspect))
                eh, ew = int(round(math.sqrt(target * ar))), int(round(math.sqrt(target / ar)))
                if 0 < eh < h and 0 < ew < w:
                    y0, x0 = int(rng.integers(0, h - eh + 1)), int(rng.integers(0, w - ew + 1))
                    if self.mode == "pixel":
                        fill = torch.from_numpy(rng.standard_normal((c, eh, ew)).astype(np.float32))
                    elif self.mode == "rand":
                        fill = torch.from_numpy(rng.standard_normal((c, 1, 1)).astype(np.float32))
                    else:
                        fill = torch.zeros(c, 1, 1)
                    frames[:, :, y0 : y0 + eh, x0 : x0 + ew] = fill  # same rectangle for all frames
                    break
        return frames
