"""HAOG (hand–object graph) losses of SViT on annotated single frames (SViT, Ben Avraham et al., NeurIPS 2022;
github.com/eladb3/SViT).

Nodes (``haog_nodes``): the object tokens of slot k regress target slot k (fixed assignment, no
Hungarian matching), DETR-style: L1 and 1−GIoU over *present* slots only, and BCE of the existence
logit against the presence mask over *all* slots. Edges (``haog_edges``): 5-way contact-state CE of
the two hand slots, ignoring −1 targets. Terms are returned unweighted; see svit_weights.py.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from fvcore.common.config import CfgNode

from svit.losses.registry import LOSS_REGISTRY


def cxcywh_to_xyxy(boxes: torch.Tensor) -> torch.Tensor:
    """``(..., 4)`` centre/size boxes to corner form ``(cx ± w/2, cy ± h/2)``."""
    cx, cy, w, h = boxes.unbind(-1)
    return torch.stack((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), dim=-1)


def generalized_iou(pred_xyxy: torch.Tensor, target_xyxy: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """Element-wise GIoU of paired ``(N, 4)`` corner boxes: IoU − |C \\ (A ∪ B)| / |C|, C the
    smallest enclosing box. In [−1, 1]; disjoint boxes go below 0."""
    px1, py1, px2, py2 = pred_xyxy.unbind(-1)
    tx1, ty1, tx2, ty2 = target_xyxy.unbind(-1)
    area_p = (px2 - px1).clamp(min=0) * (py2 - py1).clamp(min=0)
    area_t = (tx2 - tx1).clamp(min=0) * (ty2 - ty1).clamp(min=0)
    inter = (torch.min(px2, tx2) - torch.max(px1, tx1)).clamp(min=0) * (
        torch.min(py2, ty2) - torch.max(py1, ty1)
    ).clamp(min=0)
    union = area_p + area_t - inter
    iou = inter / (union + eps)
    enclose = (torch.max(px2, tx2) - torch.min(px1, tx1)).clamp(min=0) * (
        torch.max(py2, ty2) - torch.min(py1, ty1)
    ).clamp(min=0)
    return iou - (enclose - union) / (enclose + eps)


def _flatten_slots(pred: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Aligns predictions ``(B, [T,] O, 5)`` with targets ``(B, [T,] O, 4)`` as ``(N, 5)``, ``(N, 4)``."""
    pred = pred.reshape(-1, pred.shape[-1])
    target = target.reshape(-1, target.shape[-1]).to(pred.dtype)
    if pred.shape[0] != target.shape[0]:
        raise ValueError(
            f"pred_bboxes has {pred.shape[0]} slots but haog_boxes has {target.shape[0]}"
        )
    return pred, target


def haog_node_losses(
    pred_bboxes: torch.Tensor, target_boxes: torch.Tensor, mask: torch.Tensor | None = None
) -> dict[str, torch.Tensor]:
    """``boxes_l1_loss``, ``boxes_giou_loss`` (present slots) and ``boxes_bce_loss`` (all slots).

    ``pred_bboxes (..., O, 5)`` = [existence logit, cx, cy, w, h]; ``target_boxes (..., O, 4)``
    cx,cy,w,h; ``mask`` (presence) defaults to "target box not all zeros".
    """
    pred, target = _flatten_slots(pred_bboxes.float(), target_boxes)
    if mask is None:
        present = (target != 0).any(-1)
    else:
        present = mask.reshape(-1).bool()
    exist_logit, boxes = pred[:, 0], pred[:, 1:]
    bce = F.binary_cross_entropy_with_logits(exist_logit, present.to(exist_logit.dtype))
    # Means over the present slots as masked sums (0 when no slot is annotated) rather than boolean
    # indexing, whose output size would make the training step wait for the device to count the slots.
    n = present.sum().clamp(min=1).to(boxes.dtype)
    zero = boxes.new_zeros(())
    l1 = torch.where(present, (boxes - target).abs().mean(-1), zero).sum() / n
    giou = torch.where(present, 1 - generalized_iou(cxcywh_to_xyxy(boxes), cxcywh_to_xyxy(target)), zero).sum() / n
    return {"boxes_l1_loss": l1, "boxes_giou_loss": giou, "boxes_bce_loss": bce}


def contact_state_loss(pred_contact: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """CE over the hand slots' 5-way logits ``(B, [T,] 2, 5)`` vs ``(B, [T,] 2)`` in {−1, 0..4};
    −1 entries are dropped; 0 when none is left."""
    logits = pred_contact.float().reshape(-1, pred_contact.shape[-1])
    labels = target.reshape(-1).long().to(logits.device)
    if labels.shape[0] != logits.shape[0]:
        raise ValueError(f"pred_contact_state has {logits.shape[0]} hands, contact_state {labels.shape[0]}")
    keep = labels >= 0
    # mean over the kept hands as a masked sum (0 when none is left): no device read in the step
    ce = F.cross_entropy(logits, labels.clamp(min=0), reduction="none")
    return torch.where(keep, ce, ce.new_zeros(())).sum() / keep.sum().clamp(min=1).to(ce.dtype)


@LOSS_REGISTRY.register("haog_nodes")
class HaogNodeLoss:
    """Reads ``outputs["pred_bboxes"]`` and ``batch["haog_boxes"]`` (+ ``batch["haog_mask"]``)."""

    def __init__(self, cfg: CfgNode | None = None) -> None:
        self.cfg = cfg

    def __call__(self, outputs: dict, batch: dict) -> dict[str, torch.Tensor]:
        return haog_node_losses(outputs["pred_bboxes"], batch["haog_boxes"], batch.get("haog_mask"))


@LOSS_REGISTRY.register("haog_edges")
class HaogEdgeLoss:
    """Reads ``outputs["pred_contact_state"]`` and ``batch["contact_state"]``."""

    def __init__(self, cfg: CfgNode | None = None) -> None:
        self.cfg = cfg

    def __call__(self, outputs: dict, batch: dict) -> dict[str, torch.Tensor]:
        return {"loss_contact_state": contact_state_loss(outputs["pred_contact_state"], batch["contact_state"])}
