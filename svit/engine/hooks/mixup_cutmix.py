"""``mixup_cutmix``: mixes clips within a batch and writes smoothed soft ``targets``.

Mixup blends whole clips; cutmix pastes one spatial box (the same box on every frame, so motion in
the box stays coherent) and sets lambda to the exact kept area. Partner = the batch reversed. The
hard ``labels`` are left untouched (train top-1 is measured against them).
"""
from __future__ import annotations

from typing import Any

import torch
from fvcore.common.config import CfgNode

from svit.engine.hooks.base import BatchHook
from svit.engine.hooks.registry import HOOK_REGISTRY
from svit.engine.mixing import cutmix_box, torch_seeded_rng
from svit.engine.part_requirements import clips_per_process_step, require
from svit.losses.targets import smooth_one_hot


@HOOK_REGISTRY.register("mixup_cutmix")
class MixupCutmix(BatchHook):
    """MIXUP.* (ALPHA, CUTMIX_ALPHA, PROB, SWITCH_PROB, LABEL_SMOOTH_VALUE); owns no modules."""

    def __init__(self, cfg: CfgNode, ctx: Any = None) -> None:
        super().__init__(cfg, ctx)
        m = cfg.MIXUP
        self.mixup_alpha, self.cutmix_alpha = float(m.ALPHA), float(m.CUTMIX_ALPHA)
        self.prob, self.switch_prob = float(m.PROB), float(m.SWITCH_PROB)
        self.smoothing = float(m.LABEL_SMOOTH_VALUE)
        self.num_classes = int(ctx.num_classes) if ctx is not None and ctx.num_classes else int(cfg.MODEL.NUM_CLASSES)

    @classmethod
    def check_config(cls, cfg: CfgNode) -> None:
        """Mixing pairs clips of one process batch: with a single clip per process step every clip would
        be mixed with itself (a silent no-op), so that is a config error when mixing can happen."""
        m = cfg.MIXUP
        if float(m.PROB) <= 0 or (float(m.ALPHA) <= 0 and float(m.CUTMIX_ALPHA) <= 0):
            return
        clips, how = clips_per_process_step(cfg)
        require(clips >= 2, f"mixup_cutmix mixes each clip with another of its process batch and needs at least 2; "
                f"{how} gives {clips}. Raise TRAIN.BATCH_SIZE, or set MIXUP.ENABLE False.")

    def mix(self, batch: dict) -> dict:
        """The mixed batch: ``inputs`` mixed, ``targets`` (B, K) soft, ``labels`` unchanged."""
        x, y = batch["inputs"], batch["labels"]
        if y.dim() != 1:
            raise ValueError("mixup_cutmix expects hard labels (B,) in batch['labels']")
        targets = smooth_one_hot(y, self.num_classes, self.smoothing)
        rng = torch_seeded_rng()
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
        out["targets"] = targets * lam + targets.flip(0) * (1.0 - lam)
        return out

    def before_step(self, batch: dict, ctx: Any) -> tuple[dict, dict[str, torch.Tensor]]:
        return self.mix(batch), {}
