"""H2CN building blocks on tiny tensors against hand-computed values and structural facts."""
from __future__ import annotations

import pytest
import torch

from svit.models.h2cn.backbone import H2CNBottleneck
from svit.models.h2cn.cmcb import ClipMotionBlock
from svit.models.h2cn.hourglass import HourglassConv
from svit.models.h2cn.motion import FrameHourglassLevel


def _set_hgc(hgc: HourglassConv, spatial: torch.Tensor, temporal: list[list[float]]) -> None:
    with torch.no_grad():
        hgc.spatial.weight.copy_(spatial.expand_as(hgc.spatial.weight))
        hgc.temporal.weight.copy_(torch.tensor(temporal).view_as(hgc.temporal.weight))


def test_hourglass_valid_border_hand_computed():
    # One channel, 3x3 images, S = sum of the 3x3 neighbourhood (all-ones kernel, dilation 1).
    hgc = HourglassConv(1, expansion=1, dilation=1, border="valid")
    _set_hgc(hgc, torch.ones(1, 1, 3, 3), [[2.0, 3.0, 5.0]])
    frames = torch.stack([torch.full((3, 3), v) for v in (1.0, 10.0, 100.0, 1000.0)])  # T=4
    x = frames.view(1, 4, 1, 3, 3)
    y = hgc(x)
    assert y.shape == (1, 2, 1, 3, 3)
    # Centre pixel: S*x = 9 * value. Output t=0 centres frame 1: 2*9*1 + 3*10 + 5*9*100 = 4548.
    assert y[0, 0, 0, 1, 1].item() == pytest.approx(2 * 9 * 1 + 3 * 10 + 5 * 9 * 100)
    # t=1 centres frame 2: 2*9*10 + 3*100 + 5*9*1000 = 45480.
    assert y[0, 1, 0, 1, 1].item() == pytest.approx(2 * 9 * 10 + 3 * 100 + 5 * 9 * 1000)
    # Corner pixel sees 4 neighbours (zero padding): 2*4*1 + 3*10 + 5*4*100 = 2038.
    assert y[0, 0, 0, 0, 0].item() == pytest.approx(2 * 4 * 1 + 3 * 10 + 5 * 4 * 100)


def test_hourglass_same_border_pads_zero_neighbours():
    hgc = HourglassConv(1, expansion=1, dilation=1, border="same")
    centre = torch.zeros(1, 1, 3, 3)
    centre[..., 1, 1] = 1.0  # S = identity, so y_t = a*x_{t-1} + b*x_t + c*x_{t+1}
    _set_hgc(hgc, centre, [[1.0, 10.0, 100.0]])
    x = torch.tensor([1.0, 2.0, 3.0]).view(1, 3, 1, 1, 1).expand(1, 3, 1, 2, 2).contiguous()
    y = hgc(x)[0, :, 0, 0, 0]
    assert y.tolist() == pytest.approx([0 + 10 * 1 + 100 * 2, 1 + 10 * 2 + 100 * 3, 2 + 10 * 3 + 0])


def test_hourglass_dilated_spatial_span_and_expansion():
    # Dilation 2: S reaches pixels 2 away (5x5 span); expansion 3 maps input channel c to 3c..3c+2.
    hgc = HourglassConv(2, expansion=3, dilation=2, border="valid")
    spatial = torch.zeros(2, 1, 3, 3)
    spatial[:, 0, 0, 0] = 1.0  # S*x at (i, j) = x at (i-2, j-2)
    w = torch.zeros(6, 1, 3, 1, 1)
    w[:, 0, 0, 0, 0] = torch.arange(1.0, 7.0)  # only the previous frame, weight o+1 for output channel o
    with torch.no_grad():
        hgc.spatial.weight.copy_(spatial)
        hgc.temporal.weight.copy_(w)
    x = torch.zeros(1, 3, 2, 5, 5)
    x[0, 0, 0, 1, 1] = 1.0  # channel 0, frame 0
    x[0, 0, 1, 1, 1] = 7.0  # channel 1, frame 0
    y = hgc(x)[0, 0]  # (6, 5, 5), the single valid step
    assert y[0:3, 3, 3].tolist() == [1.0, 2.0, 3.0]
    assert y[3:6, 3, 3].tolist() == [4.0 * 7, 5.0 * 7, 6.0 * 7]
    assert y.abs().sum().item() == pytest.approx(1 + 2 + 3 + 7 * (4 + 5 + 6))


def test_motion_level1_starts_as_frame_difference():
    level = FrameHourglassLevel(3, expansion=1, difference_init=True).eval()
    with torch.no_grad():
        level.hgc.spatial.weight.zero_()
        level.hgc.spatial.weight[:, :, 1, 1] = 1.0  # S = identity
    x = torch.randn(2, 5, 3, 4, 4)
    y = level(x)
    expected = torch.relu((x[:, 1:4] - x[:, 2:5]) / (1 + level.bn.eps) ** 0.5)
    assert y.shape == (2, 3, 3, 4, 4)
    torch.testing.assert_close(y, expected)


def test_cmcb_gate_and_temporal_reach():
    torch.manual_seed(0)
    block = ClipMotionBlock(32, num_segments=4, reduction=16).eval()
    x = torch.randn(2 * 4, 32, 5, 5)
    y = block(x)
    ratio = y / x
    assert torch.all((ratio > 0) & (ratio < 1))  # a sigmoid gate per (segment, channel)
    assert torch.allclose(ratio, ratio[..., :1, :1].expand_as(ratio), atol=1e-5)  # shared over H, W
    # The hourglass sees only t-1, t, t+1: perturbing segment 0 leaves segments 2 and 3 alone.
    x2 = x.clone()
    x2[0] += 3.0
    y2 = block(x2)
    changed = (y2 - y).view(2, 4, -1).abs().amax(dim=2)
    assert changed[0, 1] > 0 and torch.all(changed[0, 2:] == 0) and torch.all(changed[1] == 0)


def test_bottleneck_shift_reaches_one_segment():
    torch.manual_seed(0)
    block = H2CNBottleneck(64, 16, num_segments=4, stride=1).eval()
    x = torch.randn(4, 64, 4, 4)
    y = block(x)
    x2 = x.clone()
    x2[3] += 1.0  # last segment
    changed = (block(x2) - y).flatten(1).abs().amax(dim=1)
    # TSM shift and the CMCB each reach one segment; composed: t-1 and t-2 also see it.
    assert changed[3] > 0 and changed[2] > 0 and changed[1] > 0 and changed[0] == 0
    x3 = x.clone()
    x3[3, 16:] += 1.0  # only channels TSM keeps in place (fold = 64 // 8 = 8: 0..15 move)
    block.cmcb.expand_bn.weight.data.zero_()  # gate becomes constant: isolates the shift path
    y = block(x)
    changed = (block(x3) - y).flatten(1).abs().amax(dim=1)
    assert changed[3] > 0 and torch.all(changed[:3] == 0)
