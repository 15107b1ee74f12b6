"""Colour jitter of a whole clip (``AUG.COLOR_JITTER``), with PySlowFast's (timm's) semantics.

PySlowFast turns a scalar ``AUG.COLOR_JITTER = s`` into torchvision's ``ColorJitter(brightness=s,
contrast=s, saturation=s)`` (no hue), used only when no RandAugment policy is set (``AUG.AA_TYPE``
empty): RandAugment already alters colours. torchvision draws the order of the adjustments and one
factor per adjustment, ``U[max(0, 1 - s), 1 + s]``. For a video every frame must look like the same
scene, so the order and the factors are drawn once per clip and applied to all frames (contrast is
measured per frame, as torchvision does for each image).
"""
from __future__ import annotations

import numpy as np
import torchvision.transforms.v2.functional as TF

from svit.data.transforms.clip import Clip

_ADJUST = (TF.adjust_brightness, TF.adjust_contrast, TF.adjust_saturation)


class ClipColorJitter:
    """``(clip with float frames in [0, 1], rng) -> clip``: brightness, contrast and saturation
    jitter of strength ``strength`` in a random order, identical for every frame."""

    def __init__(self, strength: float) -> None:
        if strength < 0:
            raise ValueError(f"AUG.COLOR_JITTER must be >= 0, got {strength}")
        self.strength = float(strength)

    def draw(self, rng: np.random.Generator) -> tuple[list[int], list[float]]:
        """The order of the three adjustments and their factors, for one clip."""
        low, high = max(0.0, 1.0 - self.strength), 1.0 + self.strength
        order = [int(i) for i in rng.permutation(3)]
        factors = [float(rng.uniform(low, high)) for _ in range(3)]
        return order, factors

    def __call__(self, clip: Clip, rng: np.random.Generator) -> Clip:
        if not clip.frames.is_floating_point():
            raise TypeError("ClipColorJitter expects float frames in [0, 1] (apply it after the float conversion)")
        order, factors = self.draw(rng)
        frames = clip.frames  # (T, C, H, W): torchvision treats T as a batch of images
        for i in order:
            frames = _ADJUST[i](frames, factors[i])
        return clip.evolve(frames=frames)
