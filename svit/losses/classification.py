"""Classification losses: ``cross_entropy`` (hard labels, label smoothing) and ``soft_cross_entropy``.

Both read ``outputs["logits"]`` and ``batch["labels"]``. After mixup/cutmix the labels are soft
``(B, K)`` distributions; ``cross_entropy`` accepts those too so a config that turns MIXUP on
does not also have to change MODEL.LOSS_FUNC.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from svit.losses.registry import LOSS_REGISTRY


def soft_target_cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of ``-sum_k target_k log softmax(logits)_k``."""
    return torch.sum(-target * F.log_softmax(logits.float(), dim=-1), dim=-1).mean()


@LOSS_REGISTRY.register("cross_entropy")
class CrossEntropy:
    """Cross-entropy with MODEL.LABEL_SMOOTHING; soft labels fall back to the soft form."""

    def __init__(self, cfg) -> None:
        self.smoothing = float(cfg.MODEL.LABEL_SMOOTHING)

    def __call__(self, outputs: dict, batch: dict) -> dict[str, torch.Tensor]:
        logits, labels = outputs["logits"], batch["labels"]
        if labels.dim() == 2:
            return {"cls": soft_target_cross_entropy(logits, labels)}
        return {"cls": F.cross_entropy(logits.float(), labels, label_smoothing=self.smoothing)}


@LOSS_REGISTRY.register("soft_cross_entropy")
class SoftCrossEntropy:
    """Cross-entropy against soft targets (mixup/cutmix); hard labels are one-hot encoded."""

    def __init__(self, cfg) -> None:
        self.num_classes = int(cfg.MODEL.NUM_CLASSES)

    def __call__(self, outputs: dict, batch: dict) -> dict[str, torch.Tensor]:
        logits, labels = outputs["logits"], batch["labels"]
        if labels.dim() == 1:
            labels = F.one_hot(labels, logits.shape[-1]).to(logits.dtype)
        return {"cls": soft_target_cross_entropy(logits, labels)}
