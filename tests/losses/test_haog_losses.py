"""HAOG node and edge losses on hand-computed tiny cases."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from svit.config.defaults import get_cfg
from svit.losses import LOSS_REGISTRY, build_loss
from svit.losses.haog import cxcywh_to_xyxy, generalized_iou
from svit.losses.svit_weights import svit_branch_weights, svit_loss_weights


def test_giou_disjoint_nested_identical():
    a = torch.tensor([[0.0, 0.0, 1.0, 1.0]])
    disjoint = torch.tensor([[2.0, 0.0, 3.0, 1.0]])  # IoU 0, hull 3, union 2 -> -1/3
    assert generalized_iou(a, disjoint).item() == pytest.approx(-1 / 3, abs=1e-6)
    outer = torch.tensor([[0.0, 0.0, 2.0, 2.0]])
    inner = torch.tensor([[0.5, 0.5, 1.5, 1.5]])  # IoU 1/4, hull = union -> 1/4
    assert generalized_iou(outer, inner).item() == pytest.approx(0.25, abs=1e-6)
    assert generalized_iou(a, a).item() == pytest.approx(1.0, abs=1e-6)
    torch.testing.assert_close(
        cxcywh_to_xyxy(torch.tensor([0.5, 0.4, 0.2, 0.4])), torch.tensor([0.4, 0.2, 0.6, 0.6])
    )


def _pred(logit, box):
    return torch.tensor([logit] + box)


def test_node_losses_hand_computed():
    # One image (B=1, T_in=1), 4 slots; slots 0 and 2 present.
    pred = torch.stack([
        _pred(2.0, [0.5, 0.5, 0.2, 0.2]),   # exact match of target 0: L1 0, GIoU 1
        _pred(-1.0, [0.3, 0.3, 0.1, 0.1]),  # absent
        _pred(0.5, [0.2, 0.5, 0.2, 0.2]),   # disjoint from target 2, same size
        _pred(0.0, [0.9, 0.9, 0.1, 0.1]),   # absent
    ]).reshape(1, 1, 4, 5)
    target = torch.tensor([[0.5, 0.5, 0.2, 0.2], [0, 0, 0, 0], [0.6, 0.5, 0.2, 0.2], [0, 0, 0, 0]])
    batch = {"haog_boxes": target[None], "haog_mask": torch.tensor([[True, False, True, False]])}
    out = build_loss("haog_nodes", get_cfg())({"pred_bboxes": pred}, batch)
    # L1: slot 2 differs by 0.4 in cx only -> 0.4 over 2 slots x 4 coords.
    assert out["boxes_l1_loss"].item() == pytest.approx(0.4 / 8, abs=1e-6)
    # Slot 2: boxes [0.1,0.4,0.3,0.6] vs [0.5,0.4,0.7,0.6]: IoU 0, hull 0.6x0.2, union 0.08.
    giou2 = 0.0 - (0.12 - 0.08) / 0.12
    assert out["boxes_giou_loss"].item() == pytest.approx(((1 - 1) + (1 - giou2)) / 2, abs=1e-5)
    logits, labels = torch.tensor([2.0, -1.0, 0.5, 0.0]), torch.tensor([1.0, 0, 1, 0])
    bce = -(labels * torch.log(torch.sigmoid(logits)) + (1 - labels) * torch.log(1 - torch.sigmoid(logits)))
    assert out["boxes_bce_loss"].item() == pytest.approx(bce.mean().item(), abs=1e-6)


def test_node_losses_no_present_slot_are_zero_with_graph():
    pred = torch.randn(2, 1, 4, 5, requires_grad=True)
    batch = {"haog_boxes": torch.zeros(2, 4, 4), "haog_mask": torch.zeros(2, 4, dtype=torch.bool)}
    out = LOSS_REGISTRY.get("haog_nodes")(get_cfg())({"pred_bboxes": pred}, batch)
    assert out["boxes_l1_loss"].item() == 0 and out["boxes_giou_loss"].item() == 0
    want = F.binary_cross_entropy_with_logits(pred[..., 0].detach().reshape(-1), torch.zeros(8))
    assert out["boxes_bce_loss"].item() == pytest.approx(want.item(), abs=1e-6)
    sum(out.values()).backward()  # still differentiable
    assert pred.grad is not None


def test_edge_loss_ignores_minus_one():
    logits = torch.tensor([[[[2.0, 0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0, 5.0]]],
                           [[[1.0, 1.0, 1.0, 1.0, 1.0], [0.0, 3.0, 0.0, 0.0, 0.0]]]])  # (2,1,2,5)
    target = torch.tensor([[3, -1], [-1, 1]])
    out = build_loss("haog_edges", get_cfg())({"pred_contact_state": logits}, {"contact_state": target})
    ce0 = -(1.0 - math.log(math.exp(2) + 3 + math.e))  # class 3 of the first hand
    ce1 = -(3.0 - math.log(math.exp(3) + 4))  # class 1 of the last hand
    assert out["loss_contact_state"].item() == pytest.approx((ce0 + ce1) / 2, abs=1e-5)
    none = build_loss("haog_edges", get_cfg())(
        {"pred_contact_state": logits}, {"contact_state": torch.full((2, 2), -1)}
    )
    assert none["loss_contact_state"].item() == 0.0


def test_loss_weights():
    cfg = get_cfg()
    cfg.SVIT.LAMBDA_NODES, cfg.SVIT.LAMBDA_EDGES, cfg.SVIT.LAMBDA_CON = 3.7, 0.3, 1.5
    w = svit_loss_weights(cfg)
    assert w["loss_ce"] == 1.0
    assert w["boxes_l1_loss"] == pytest.approx(18.5)
    assert w["boxes_bce_loss"] == pytest.approx(3.7)
    assert w["boxes_giou_loss"] == pytest.approx(7.4)
    assert w["loss_contact_state"] == pytest.approx(0.3)
    assert w["video_image_desc_l1_loss"] == pytest.approx(1.5)
    assert svit_branch_weights(cfg) == {"video": 0.875, "image": 0.125}


@pytest.mark.parametrize("present_slots", [[0, 2, 5], [], [0, 1, 2, 3, 4, 5]])
def test_masked_means_equal_the_indexed_ones_with_gradients(present_slots):
    """The box and contact losses average over present slots / labelled hands by masked sums (no device
    read in the step); values and gradients equal the boolean-indexed means, and 0 with a finite, zero
    gradient when nothing is annotated."""
    from svit.losses.haog import contact_state_loss, haog_node_losses

    g = torch.Generator().manual_seed(0)
    pred = torch.randn(2, 3, 6, 5, generator=g).requires_grad_()  # the losses compute in fp32
    target = torch.rand(2, 3, 6, 4, generator=g)
    mask = torch.zeros(2, 3, 6, dtype=torch.bool)
    mask[..., present_slots] = True
    out = haog_node_losses(pred, target, mask)
    p, t, m = pred.reshape(-1, 5)[:, 1:], target.reshape(-1, 4), mask.reshape(-1)
    if m.any():
        want_l1 = (p[m] - t[m]).abs().mean()
        want_giou = (1 - generalized_iou(cxcywh_to_xyxy(p[m]), cxcywh_to_xyxy(t[m]))).mean()
    else:
        want_l1 = want_giou = p.sum() * 0
    for got, want in ((out["boxes_l1_loss"], want_l1), (out["boxes_giou_loss"], want_giou)):
        torch.testing.assert_close(got, want)
        (g_got,) = torch.autograd.grad(got, pred, retain_graph=True)
        (g_want,) = torch.autograd.grad(want, pred, retain_graph=True)
        torch.testing.assert_close(g_got, g_want)
        assert torch.isfinite(g_got).all()

    logits = torch.randn(2, 3, 2, 5, generator=g).requires_grad_()
    labels = torch.randint(0, 5, (2, 3, 2), generator=g)
    labels[..., 1] = -1
    if not present_slots:
        labels[:] = -1
    got = contact_state_loss(logits, labels)
    keep = labels.reshape(-1) >= 0
    flat = logits.reshape(-1, 5)
    want = F.cross_entropy(flat[keep], labels.reshape(-1)[keep]) if keep.any() else flat.sum() * 0
    torch.testing.assert_close(got, want)
    torch.testing.assert_close(torch.autograd.grad(got, logits)[0], torch.autograd.grad(want, logits)[0])
