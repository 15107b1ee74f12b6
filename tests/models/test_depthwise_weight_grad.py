"""The CPU weight gradient of a strided depthwise Conv3d as per-tap products (``tap_weight_grad``) equals aten's
(float64, every stride/padding/dilation/multiplier, odd sizes, single frames), passes finite differences through
the registered operator, is what the operator runs where ``use_tap_weight_grad`` says so, and leaves the main
job's SViT training step unchanged."""
from __future__ import annotations

import pytest
import torch
from depthwise_helpers import aten_grad, one_thread, tiny_svit_grads  # noqa: F401 (one_thread: autouse fixture)

import svit.models.layers.depthwise_conv3d as dw_op
import svit.models.layers.depthwise_weight_grad as dw_grad
from svit.models.layers.depthwise_conv3d import depthwise_conv3d_backward, fast_depthwise_conv3d
from svit.models.layers.depthwise_weight_grad import tap_weight_grad, use_tap_weight_grad


def _aten_weight_grad(g, x, w, stride, padding, dilation):
    return aten_grad(g, x, w, stride, padding, dilation, 1)


@pytest.mark.parametrize("stride", [(1, 2, 2), (2, 2, 2), (1, 3, 3), (2, 1, 2)])
@pytest.mark.parametrize("padding", [0, 1, 3])
@pytest.mark.parametrize("dilation", [1, 2])
@pytest.mark.parametrize("mult", [1, 2])
@pytest.mark.parametrize("row_by_row", [False, True])
def test_tap_weight_grad_equals_aten(stride, padding, dilation, mult, row_by_row, monkeypatch):
    """Exact (float64, 1e-12) on an asymmetric kernel (a tap offset wrong by one on any axis changes the
    result), odd and even sizes, single frames and sizes whose last rows the forward never reads; padding
    3 exceeds the kernel (outputs that read only padding). ``row_by_row``: one row of spatial taps per
    multiply, the path large grids take."""
    if row_by_row:
        monkeypatch.setattr(dw_grad, "_MAX_BUFFER", 0)
    torch.manual_seed(0)
    kernel = (3, 2, 3)
    pad, dil = (padding,) * 3, (dilation,) * 3
    w = torch.randn(3 * mult, 1, *kernel, dtype=torch.float64)
    for size in ((7, 8, 9), (1, 11, 10), (5, 9, 13)):
        if size[0] + 2 * padding < dilation * 2 + 1:
            continue  # no output frame
        for channels_last in (False, True):
            x = torch.randn(2, 3, *size, dtype=torch.float64)
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last_3d)
            y = torch.nn.functional.conv3d(x, w, None, stride, pad, dil, 3)
            g = torch.randn_like(y)
            want = _aten_weight_grad(g, x, w, stride, pad, dil)
            got = tap_weight_grad(x, g, list(kernel), list(stride), list(pad), list(dil))
            assert got.shape == w.shape and got.is_contiguous()
            torch.testing.assert_close(got, want, atol=1e-12, rtol=1e-12)


def test_single_frame_taps_that_read_only_padding_are_zero():
    """One frame, temporal kernel 3, padding 1 (the main job's image branch): the first and last temporal
    taps read only padding, so their gradient is exactly zero; the middle one is aten's."""
    torch.manual_seed(0)
    x = torch.randn(3, 4, 1, 11, 12, dtype=torch.float64)
    w = torch.randn(4, 1, 3, 3, 3, dtype=torch.float64)
    y = torch.nn.functional.conv3d(x, w, None, (1, 2, 2), 1, 1, 4)
    g = torch.randn(y.shape[0], *y.shape[2:], y.shape[1], dtype=torch.float64).permute(0, 4, 1, 2, 3)
    got = tap_weight_grad(x, g, [3, 3, 3], [1, 2, 2], [1, 1, 1], [1, 1, 1])
    assert torch.all(got[:, :, 0] == 0) and torch.all(got[:, :, 2] == 0) and torch.all(got[:, :, 1] != 0)
    torch.testing.assert_close(got, _aten_weight_grad(g, x, w, (1, 2, 2), (1, 1, 1), (1, 1, 1)),
                               atol=1e-12, rtol=1e-12)


def test_float32_main_job_shape_matches_aten():
    """fp32 at the main job's kv pooling shape, output gradient channels-last as MViT's token reshape gives."""
    torch.manual_seed(0)
    x = torch.randn(16, 32, 4, 12, 12)
    w = torch.randn(32, 1, 3, 3, 3)
    g = torch.randn(16, 4, 6, 6, 32).permute(0, 4, 1, 2, 3)
    want = _aten_weight_grad(g.double(), x.double(), w.double(), (1, 2, 2), (1, 1, 1), (1, 1, 1))
    got = tap_weight_grad(x, g, [3, 3, 3], [1, 2, 2], [1, 1, 1], [1, 1, 1])
    assert got.dtype == torch.float32
    assert ((got.double() - want).abs().max() / want.abs().max()).item() < 1e-6


def test_choice_rule():
    """Strided with a stride product <= 8, a spatial kernel, no multiplier, float32/float64, at most 2^21 products
    per temporal tap; stride 1 keeps the grouped conv, and large strides ((1,4,4), (1,8,8): MViTv2-S's early kv
    pools), temporal kernels, multipliers and large grids keep aten's."""
    k3 = [3, 3, 3]
    g = torch.zeros(16, 32, 4, 6, 6)  # the main job's kv pooling output gradient

    def use(kernel, stride, mult=1, grad=g):
        return use_tap_weight_grad(kernel, stride, mult, grad)

    assert use(k3, [1, 2, 2]) and use(k3, [2, 2, 2]) and use(k3, [1, 2, 2], grad=g.double())
    assert not use(k3, [1, 1, 1]) and not use(k3, [1, 4, 4]) and not use(k3, [1, 8, 8])
    assert not use([3, 1, 1], [2, 1, 1]) and not use(k3, [1, 2, 2], mult=2)
    assert not use(k3, [1, 2, 2], grad=g.bfloat16())
    assert use(k3, [1, 2, 2], grad=torch.zeros(2 ** 21 // 9))
    assert not use(k3, [1, 2, 2], grad=torch.zeros(2 ** 21 // 9 + 1))


@pytest.mark.parametrize("stride,padding,dilation,mult,bias", [
    ((1, 2, 2), (1, 1, 1), (1, 1, 1), 1, False),
    ((2, 2, 2), (1, 0, 2), (1, 1, 1), 2, True),
    ((1, 2, 2), (2, 2, 2), (2, 1, 2), 1, True),
    ((2, 1, 2), (0, 1, 1), (1, 1, 1), 2, False),
])
def test_gradcheck_float64_tap_path(stride, padding, dilation, mult, bias, monkeypatch):
    """Finite differences through the registered operator with the tap path forced on (the rule leaves
    multipliers to aten; calls counted)."""
    monkeypatch.setattr(dw_op, "use_tap_weight_grad", lambda *a: True)
    calls = []
    monkeypatch.setattr(dw_op, "tap_weight_grad", lambda *a: calls.append(1) or tap_weight_grad(*a))
    torch.manual_seed(0)
    x = torch.randn(2, 2, 3, 7, 6, dtype=torch.float64, requires_grad=True)
    w = torch.randn(2 * mult, 1, 3, 3, 3, dtype=torch.float64, requires_grad=True)
    b = torch.randn(2 * mult, dtype=torch.float64, requires_grad=True) if bias else None

    def fn(t, w, *b):
        return fast_depthwise_conv3d(t, w, b[0] if b else None, stride, padding, dilation)

    assert torch.autograd.gradcheck(fn, (x, w) + ((b,) if bias else ()), eps=1e-6, atol=1e-7)
    assert calls


def test_backward_op_runs_no_aten_kernel_for_the_main_job_pooling(monkeypatch):
    """At MViT's (1,2,2) kv pooling both gradients have their own path: aten's backward is not called."""
    def refuse(*args, **kwargs):
        raise AssertionError("aten convolution_backward called")

    x, w = torch.randn(2, 4, 3, 9, 9), torch.randn(4, 1, 3, 3, 3)
    g = torch.randn(2, 4, 3, 5, 5)
    want = _aten_weight_grad(g, x, w, (1, 2, 2), (1, 1, 1), (1, 1, 1))
    monkeypatch.setattr(torch.ops.aten, "convolution_backward", refuse)
    gx, gw, _ = depthwise_conv3d_backward(g, x, w, [1, 2, 2], [1, 1, 1], [1, 1, 1], True, True, False)
    assert gx.shape == x.shape
    torch.testing.assert_close(gw, want, atol=1e-5, rtol=1e-5)


def test_tiny_svit_float64_step_fast_equals_plain(monkeypatch):
    """The main job's model in float64: every parameter gradient of one loss agrees to 1e-10 between fast
    (tap weight gradient for each kv pooling conv, video and frames) and plain."""
    calls = []
    monkeypatch.setattr(dw_op, "tap_weight_grad", lambda *a: calls.append(a[0].shape) or tap_weight_grad(*a))
    grads, convs = tiny_svit_grads(torch.float64)
    assert any(s[2] == 1 for s in calls) and any(s[2] > 1 for s in calls)  # frames and clips
    assert len(calls) == 2 * len(convs)  # each pooling conv once for the video, once for the frames
    for n, g in grads["plain"].items():
        torch.testing.assert_close(grads["fast"][n], g, atol=1e-10, rtol=1e-10, msg=lambda m, n=n: f"{n}: {m}")
