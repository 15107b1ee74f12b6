"""``mixup_cutmix``: mixes clips within a batch and turns labels into smoothed soft targets.

Mixup blends whole clips; cutmix pastes one spatial box (the same box on every frame, so motion in
the box stays coherent) and sets lambda to the exact kept area. Partner = the batch reversed.
"""
from __future__ import annotations

import numpy as np
import torch
from fvcore.common.config import CfgNode

from svit.engine.mixing_registry import MIX_REGISTRY


def smooth_one_hot(labels: torch.Tensor, num_classes: int, smoothing: float) -> torch.Tensor:
    """One-hot ``(B, K)`` with ``smoothing`` mass spread evenly over all classes."""
    off = smoothing / num_classes
    out = torch.full((labels.shape[0], num_classes), off, device=labels.device)
    out.scatter_(1, labels.view(-1, 1), 1.0 - smoothing + off)
    return out


def cutmix_box(h: int, w: int, lam: float, rng: np.random.Generator) -> tuple[int, int, int, int]:
    """A box covering about ``1 - lam`` of an ``h x w`` frame, centred uniformly, clipped."""
    cut = np.sqrt(1.0 - lam)
    ch, cw = int(h * cut), int(w * cut)
    cy, cx = int(rng.integers(0, h)), int(rng.integers(0, w))
    y1, y2 = np.clip([cy - ch // 2, cy + ch // 2], 0, h)
    x1, x2 = np.clip([cx - cw // 2, cx + cw // 2], 0, w)
    return int(y1), int(y2), int(x1), int(x2)


@MIX_REGISTRY.register("mixup_cutmix")
class MixupCutmix:
    """Batch mixer built as ``cls(cfg)``; ``__call__(batch) -> batch`` with soft ``labels``."""

    def __init__(self, cfg: CfgNode) -> None:
        m = cfg.MIXUP
        self.mixup_alpha, self.cutmix_alpha = float(m.ALPHA), float(m.CUTMIX_ALPHA)
        self.prob, self.switch_prob = float(m.PROB), float(m.SWITCH_PROB)
        self.smoothing = float(m.LABEL_SMOOTH_VALUE)
        self.num_classes = int(cfg.MODEL.NUM_CLASSES)

    def _rng(self) -> np.random.Generator:
        # Drawn from torch's RNG so the trainer's per-epoch reseeding makes mixing reproducible.
        return np.random.default_rng(int(torch.randint(0, 2**31 - 1, (1,)).item()))

    def __call__(self, batch: dict) -> dict:
        x, y = batch["inputs"], batch["labels"]
        if y.dim() != 1:
            raise ValueError("mixup_cutmix expects hard labels (B,) before mixing")
        targets = smooth_one_hot(y, self.num_classes, self.smoothing)
        rng = self._rng()
        lam = 1.0
        if rng.random() < self.prob and (self.mixup_alpha > 0 or self.cutmix_alpha > 0):
            use_cutmix = self.cutmix_alpha > 0 and (
                self.mixup_alpha <= 0 or rng.random() < self.switch_prob
            )
            x = x.clone()
            if use_cutmix:
                lam = float(rng.beta(self.cutmix_alpha, self.cutmix_alpha))
                h, w = x.shape[-2:]
                y1, y2, x1, x2 = cutmix_box(h, w, lam, rng)
                x[..., y1:y2, x1:x2] = x.flip(0)[..., y1:y2, x1:x2]
                lam = 1.0 - (y2 - y1) * (x2 - x1) / float(h * w)
            else:
                lam = float(rng.beta(self.mixup_alpha, self.mixup_alpha))
                x = x * lam + x.flip(0) * (1.0 - lam)
        out = dict(batch)
        out["inputs"] = x
        out["labels"] = targets * lam + targets.flip(0) * (1.0 - lam)
        out["hard_labels"] = y
        return out
