"""The shared depthwise Conv3d (``svit::depthwise_conv3d``, ``DepthwiseConv3d``, ``set_depthwise_conv_impl``)
computes the same function as ``nn.Conv3d`` for every family's shapes: outputs and all three gradients,
finite differences, the registered operator's fake/autograd checks, autocast, torch.compile, and
whole models converted by ``MODEL.DEPTHWISE_CONV_IMPL`` (same outputs, gradients, state-dict keys, FLOPs)."""
from __future__ import annotations

import logging

import pytest
import torch
import torch.nn as nn
from depthwise_helpers import aten_grad, one_thread, tiny_svit_grads  # noqa: F401 (one_thread: autouse fixture)
from side4video_helpers import side4video_cfg

from svit.config.defaults import get_cfg
from svit.engine.compile import apply_model_speed_options
from svit.models import build_model
from svit.models.layers.depthwise import DepthwiseConv3d, is_depthwise_conv3d, set_depthwise_conv_impl
from svit.models.layers.depthwise_conv3d import (
    depthwise_conv3d_backward,
    fast_depthwise_conv3d,
    grouped_conv_weight_grad,
    use_grouped_weight_grad,
)
from svit.models.layers.depthwise_input_grad import upsampled_input_grad, use_upsampled_input_grad
from svit.models.mvit.attention import _build_pool
from svit.utils.flops import flop_count

# name: (input shape N,C,T,H,W; multiplier; kernel; stride; padding; dilation; bias; channels-last input)
FAMILY_SHAPES = {
    "mvit_pool_q": ((2, 5, 4, 12, 12), 1, (3, 3, 3), (1, 1, 1), (1, 1, 1), (1, 1, 1), False, True),
    "mvit_pool_kv": ((2, 5, 4, 16, 16), 1, (3, 3, 3), (1, 8, 8), (1, 1, 1), (1, 1, 1), False, True),
    "mvit_pool_kv2": ((2, 5, 4, 12, 12), 1, (3, 3, 3), (1, 2, 2), (1, 1, 1), (1, 1, 1), False, True),
    "mvit_pool_kv2_frame": ((3, 4, 1, 11, 12), 1, (3, 3, 3), (1, 2, 2), (1, 1, 1), (1, 1, 1), False, False),
    "mvit_pool_t2": ((1, 7, 3, 9, 9), 1, (3, 3, 3), (2, 2, 2), (1, 1, 1), (1, 1, 1), False, False),
    "uniformer_pos": ((2, 6, 4, 6, 6), 1, (3, 3, 3), (1, 1, 1), (1, 1, 1), (1, 1, 1), True, False),
    "uniformer_cblock": ((1, 4, 5, 7, 7), 1, (5, 5, 5), (1, 1, 1), (2, 2, 2), (1, 1, 1), True, False),
    "side4video": ((3, 8, 6, 4, 4), 1, (3, 1, 1), (1, 1, 1), (1, 0, 0), (1, 1, 1), True, False),
    "h2cn_temporal": ((2, 4, 9, 5, 5), 2, (3, 1, 1), (3, 1, 1), (0, 0, 0), (1, 1, 1), False, False),
    "cnn_temporal_t2": ((2, 6, 8, 5, 5), 1, (3, 1, 1), (2, 1, 1), (1, 0, 0), (1, 1, 1), False, False),
    "dilated_mult3": ((2, 3, 5, 9, 9), 3, (3, 3, 3), (1, 1, 1), (1, 2, 2), (1, 2, 2), True, True),
    "dilated_strided": ((1, 4, 7, 11, 11), 2, (3, 3, 3), (2, 1, 2), (2, 2, 2), (2, 2, 1), True, False),
}


def _conv(shape, mult, kernel, stride, padding, dilation, bias) -> DepthwiseConv3d:
    c = shape[1]
    return DepthwiseConv3d(c, c * mult, kernel, stride=stride, padding=padding, dilation=dilation, groups=c,
                           bias=bias)


def _input(shape, channels_last, dtype=torch.float64) -> torch.Tensor:
    x = torch.randn(shape, dtype=dtype)
    return x.contiguous(memory_format=torch.channels_last_3d) if channels_last else x


def _run(conv: nn.Module, x: torch.Tensor, impl: str):
    conv.impl = impl
    conv.zero_grad(set_to_none=True)
    xi = x.detach().clone().requires_grad_()
    y = conv(xi)
    g = torch.randn(y.shape, generator=torch.Generator().manual_seed(2), dtype=y.dtype)
    (y * g).sum().backward()
    grads = [xi.grad, conv.weight.grad] + ([conv.bias.grad] if conv.bias is not None else [])
    return [y.detach()] + [t.clone() for t in grads]


@pytest.mark.parametrize("name", list(FAMILY_SHAPES))
def test_fast_equals_plain_forward_and_gradients(name):
    shape, mult, kernel, stride, padding, dilation, bias, cl = FAMILY_SHAPES[name]
    torch.manual_seed(0)
    conv = _conv(shape, mult, kernel, stride, padding, dilation, bias).double()
    x = _input(shape, cl)
    plain, fast = _run(conv, x, "plain"), _run(conv, x, "fast")
    assert len(plain) == (4 if bias else 3)
    for a, b in zip(plain, fast):
        assert a.shape == b.shape
        torch.testing.assert_close(b, a, atol=1e-12, rtol=1e-12)


@pytest.mark.parametrize("name", list(FAMILY_SHAPES))
def test_grouped_weight_grad_equals_aten_for_every_shape(name):
    """The grouped-conv weight gradient is exact for strides, dilation and multipliers too, including the
    shapes where ``use_grouped_weight_grad`` picks aten's kernel instead."""
    shape, mult, kernel, stride, padding, dilation, _, cl = FAMILY_SHAPES[name]
    torch.manual_seed(0)
    x = _input(shape, cl)
    w = torch.randn(shape[1] * mult, 1, *kernel, dtype=torch.float64)
    y = torch.nn.functional.conv3d(x, w, None, stride, padding, dilation, shape[1])
    g = torch.randn_like(y)
    want = torch.ops.aten.convolution_backward(
        g, x, w, None, list(stride), list(padding), list(dilation), False, [0, 0, 0], shape[1], [False, True, False]
    )[1]
    got = grouped_conv_weight_grad(x, g, list(kernel), list(stride), list(padding), list(dilation))
    torch.testing.assert_close(got, want, atol=1e-12, rtol=1e-12)


def test_cpu_weight_grad_choice_and_auto():
    """Grouped weight gradient (and "auto" = fast on CPU) exactly for stride 1 with a spatial kernel."""
    assert use_grouped_weight_grad([3, 3, 3], [1, 1, 1]) and use_grouped_weight_grad([5, 5, 5], [1, 1, 1])
    assert not use_grouped_weight_grad([3, 3, 3], [1, 2, 2]) and not use_grouped_weight_grad([3, 1, 1], [1, 1, 1])
    x = torch.zeros(1, 4, 3, 5, 5)
    assert _conv(x.shape, 1, (3, 3, 3), (1, 1, 1), (1, 1, 1), (1, 1, 1), True).resolved_impl(x) == "fast"
    temporal = _conv(x.shape, 1, (3, 1, 1), (1, 1, 1), (1, 0, 0), (1, 1, 1), True)
    assert temporal.resolved_impl(x) == "plain"
    temporal.impl = "fast"
    assert temporal.resolved_impl(x) == "fast"


@pytest.mark.parametrize("need", [(True, False, False), (False, True, True), (False, False, True)])
def test_backward_op_returns_only_the_asked_gradients(need):
    x, w = torch.randn(1, 3, 4, 6, 6), torch.randn(6, 1, 3, 3, 3)
    g = torch.randn(1, 6, 4, 6, 6)
    gx, gw, gb = depthwise_conv3d_backward(g, x, w, [1, 1, 1], [1, 1, 1], [1, 1, 1], *need)
    assert [t.numel() > 0 for t in (gx, gw, gb)] == list(need)
    if need[2]:
        torch.testing.assert_close(gb, g.sum((0, 2, 3, 4)))


@pytest.mark.parametrize("bias,mult,stride,dilation,kernel", [
    (False, 1, (1, 1, 1), (1, 1, 1), (3, 3, 3)),
    (True, 2, (1, 2, 2), (1, 1, 1), (3, 3, 3)),
    (True, 1, (1, 1, 1), (2, 2, 1), (3, 3, 3)),
    (False, 2, (3, 1, 1), (1, 1, 1), (3, 1, 1)),
])
def test_gradcheck_float64(bias, mult, stride, dilation, kernel):
    torch.manual_seed(0)
    x = torch.randn(1, 2, 3, 4, 5, dtype=torch.float64, requires_grad=True)
    w = torch.randn(2 * mult, 1, *kernel, dtype=torch.float64, requires_grad=True)
    b = torch.randn(2 * mult, dtype=torch.float64, requires_grad=True) if bias else None
    padding = tuple(d * (k // 2) for k, d in zip(kernel, dilation))

    def fn(t, w, *b):
        return fast_depthwise_conv3d(t, w, b[0] if b else None, stride, padding, dilation)

    assert torch.autograd.gradcheck(fn, (x, w) + ((b,) if bias else ()), eps=1e-6, atol=1e-7)


def test_registered_operator_passes_opcheck():
    torch.manual_seed(0)
    op = torch.ops.svit.depthwise_conv3d.default
    x = torch.randn(2, 4, 3, 9, 9, requires_grad=True)
    torch.library.opcheck(op, (x, torch.randn(4, 1, 3, 3, 3, requires_grad=True), None, [1, 2, 2], [1, 1, 1],
                               [1, 1, 1]))
    torch.library.opcheck(op, (x, torch.randn(8, 1, 3, 3, 3, requires_grad=True), torch.randn(8, requires_grad=True),
                               [1, 1, 1], [2, 2, 2], [1, 2, 2]))
    with pytest.raises(ValueError, match="weight"):
        op(x, torch.randn(6, 1, 3, 3, 3), None, [1, 1, 1], [1, 1, 1], [1, 1, 1])  # 6 is not a multiple of 4


def test_bf16_autocast_casts_like_conv3d():
    torch.manual_seed(0)
    conv = DepthwiseConv3d(6, 6, (3, 3, 3), padding=1, groups=6, bias=True)
    x = torch.randn(2, 6, 4, 10, 10)
    res = {}
    for impl in ("plain", "fast"):
        conv.impl = impl
        conv.zero_grad(set_to_none=True)
        xi = x.clone().requires_grad_()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            y = conv(xi)
        assert y.dtype == torch.bfloat16
        y.float().square().sum().backward()
        assert conv.weight.grad.dtype == conv.bias.grad.dtype == xi.grad.dtype == torch.float32
        res[impl] = (y.float(), xi.grad, conv.weight.grad, conv.bias.grad)
    for a, b in zip(res["plain"], res["fast"]):
        torch.testing.assert_close(b, a, atol=0.05, rtol=0.02)


def test_compile_keeps_the_operator():
    """``torch.compile`` keeps one ``svit.depthwise_conv3d`` call (no conv lowered back to aten/cuDNN),
    with eager's outputs and gradients."""
    torch.manual_seed(0)
    x = torch.randn(2, 4, 3, 9, 9)
    conv = DepthwiseConv3d(4, 8, (3, 3, 3), stride=(1, 2, 2), padding=1, groups=4, bias=True)
    conv.impl = "fast"
    graphs = []

    def backend(gm, example_inputs):
        graphs.append(str(gm.graph))
        return gm

    outs = {}
    for name, fn in (("eager", conv), ("compiled", torch.compile(conv, backend=backend, fullgraph=True))):
        conv.zero_grad(set_to_none=True)
        xi = x.detach().clone().requires_grad_()
        y = fn(xi)
        (y * torch.linspace(-1, 1, y.numel()).view(y.shape)).sum().backward()
        outs[name] = (y.detach(), xi.grad, conv.weight.grad.clone(), conv.bias.grad.clone())
    assert any("svit.depthwise_conv3d" in g for g in graphs) and not any("conv3d(" in g for g in graphs)
    for a, b in zip(outs["eager"], outs["compiled"]):
        torch.testing.assert_close(b, a, atol=1e-6, rtol=1e-6)


def test_module_refuses_a_non_depthwise_conv():
    conv, _ = _build_pool("conv", 8, [3, 3, 3], [1, 2, 2], torch.nn.LayerNorm)
    assert type(conv) is DepthwiseConv3d  # MViT's pooling convs are the shared module
    with pytest.raises(ValueError, match="groups 1"):
        DepthwiseConv3d(4, 4, 3)
    with pytest.raises(ValueError, match="padding_mode 'reflect'"):
        DepthwiseConv3d(4, 4, 3, groups=4, padding=1, padding_mode="reflect")


# ---- whole models ---------------------------------------------------------------------------------------


def _uniformer():
    cfg = get_cfg()
    cfg.MODEL.MODEL_NAME, cfg.MODEL.NUM_CLASSES = "UniFormer", 5
    cfg.UNIFORMER.DEPTHS, cfg.UNIFORMER.EMBED_DIM = [1, 1, 1, 1], [8, 16, 32, 32]
    cfg.UNIFORMER.HEAD_DIM = 16
    cfg.DATA.TRAIN_CROP_SIZE = cfg.DATA.TEST_CROP_SIZE = 32
    return build_model(cfg), (2, 3, 4, 32, 32)


def _h2cn():
    cfg = get_cfg()
    cfg.MODEL.MODEL_NAME, cfg.MODEL.NUM_CLASSES = "H2CN", 5
    cfg.DATA.NUM_FRAMES, cfg.DATA.FRAMES_PER_SEGMENT = 2, 5
    cfg.H2CN.DEPTH, cfg.H2CN.BASE_WIDTH = 26, 16
    return build_model(cfg), (1, 3, 10, 32, 32)


def _s3d_resnet():
    cfg = get_cfg()
    cfg.MODEL.MODEL_NAME, cfg.MODEL.NUM_CLASSES = "S3D", 5
    cfg.CNN.BACKBONE, cfg.CNN.DEPTH, cfg.CNN.DW_T_CONV, cfg.CNN.WITHOUT_T_STRIDE = "s3d_resnet", 18, True, False
    return build_model(cfg), (2, 3, 8, 32, 32)


def _side4video():
    cfg = side4video_cfg(num_classes=5, side_dim=32, crop=32, frames=4, TOWER="custom", WIDTH=32, DEPTH=2,
                         HEADS=2, PATCH_SIZE=16)
    return build_model(cfg), (2, 3, 4, 32, 32)


MODELS = {"uniformer": _uniformer, "h2cn": _h2cn, "s3d_resnet": _s3d_resnet, "side4video": _side4video}
# which module names are depthwise Conv3d in each family (the name's last part)
DEPTHWISE_NAMES = {"uniformer": {"pos_embed", "attn"}, "h2cn": {"temporal"}, "s3d_resnet": {"conv1_t", "conv2_t"},
                   "side4video": {"dw"}}


def _loss_and_grads(model, x):
    model.zero_grad(set_to_none=True)
    torch.manual_seed(1)
    out = model(x)
    out = out["logits"] if isinstance(out, dict) else out
    (out * torch.linspace(-1, 1, out.numel(), dtype=out.dtype).view(out.shape)).sum().backward()
    return out.detach(), {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


@pytest.mark.parametrize("family", list(MODELS))
def test_set_impl_converts_exactly_the_depthwise_convs_and_keeps_the_model(family):
    torch.manual_seed(0)
    model, shape = MODELS[family]()
    model = model.double().train()
    convs = {n: m for n, m in model.named_modules() if isinstance(m, nn.Conv3d)}
    depthwise = {n for n, m in convs.items() if m.groups == m.in_channels > 1}
    assert depthwise and {n.rsplit(".", 1)[-1] for n in depthwise} == DEPTHWISE_NAMES[family]
    keys = list(model.state_dict())
    x = torch.randn(shape, dtype=torch.float64)
    ref = _loss_and_grads(model, x)
    flops = flop_count(model.float(), x.float()).total
    assert set_depthwise_conv_impl(model, "fast") == len(depthwise)
    assert {n for n, m in model.named_modules() if isinstance(m, DepthwiseConv3d)} == depthwise
    assert all(type(convs[n]) is nn.Conv3d for n in set(convs) - depthwise)
    assert list(model.state_dict()) == keys
    assert flop_count(model, x.float()).total == flops  # the jit trace records the plain conv
    got = _loss_and_grads(model.double(), x)
    torch.testing.assert_close(got[0], ref[0], atol=1e-10, rtol=1e-10)
    assert got[1].keys() == ref[1].keys()
    for n in ref[1]:
        torch.testing.assert_close(got[1][n], ref[1][n], atol=1e-10, rtol=1e-9, msg=lambda m, n=n: f"{n}: {m}")
    assert set_depthwise_conv_impl(model, "plain") == len(depthwise)  # idempotent, just switches impl
    assert all(m.impl == "plain" for m in model.modules() if isinstance(m, DepthwiseConv3d))


def test_config_key_applied_with_a_count_and_bad_value_rejected(svit_logs):
    caplog = svit_logs  # receives the "svit" records even after a run in this process set propagate False
    model, _ = _s3d_resnet()
    cfg = get_cfg()
    cfg.MODEL.DEPTHWISE_CONV_IMPL = "fast"
    with caplog.at_level(logging.INFO, logger="svit.engine.compile"):
        assert apply_model_speed_options(cfg, model) is model
    n = sum(isinstance(m, DepthwiseConv3d) for m in model.modules())
    assert n == 16 and f"MODEL.DEPTHWISE_CONV_IMPL fast: {n} depthwise Conv3d" in caplog.text
    assert all(m.impl == "fast" for m in model.modules() if isinstance(m, DepthwiseConv3d))
    cfg.MODEL.DEPTHWISE_CONV_IMPL = "cudnn"
    with pytest.raises(ValueError, match="MODEL.DEPTHWISE_CONV_IMPL.*'cudnn'"):
        apply_model_speed_options(cfg, model)


def test_non_depthwise_and_subclassed_convs_are_left_alone():
    class Custom(nn.Conv3d):
        pass

    model = nn.Sequential(nn.Conv3d(4, 8, 3, groups=2), nn.Conv3d(4, 4, 3, groups=4, padding="same"),
                          Custom(4, 4, 3, groups=4), nn.Conv3d(1, 1, 3), nn.Conv3d(4, 4, 1, groups=4))
    assert set_depthwise_conv_impl(model, "auto") == 1
    assert [type(m).__name__ for m in model] == ["Conv3d", "Conv3d", "Custom", "Conv3d", "DepthwiseConv3d"]
    assert not is_depthwise_conv3d(model[1]) and is_depthwise_conv3d(model[2])


# ---- CPU input gradient of a strided conv as a stride-1 conv of the upsampled output gradient ----------


@pytest.mark.parametrize("stride", [(1, 2, 2), (2, 2, 2), (1, 3, 3), (2, 1, 1)])
@pytest.mark.parametrize("padding", [0, 1, 2])
@pytest.mark.parametrize("dilation", [1, 2])
@pytest.mark.parametrize("mult", [1, 2])
def test_upsampled_input_grad_equals_aten(stride, padding, dilation, mult):
    """Exact (float64) for every stride/padding/dilation/multiplier, on an asymmetric kernel (an index shifted
    by one on any axis changes the result) and on odd and even sizes, including sizes whose last rows the
    forward never reads; padding beyond the dilated kernel extent is refused with the numbers."""
    torch.manual_seed(0)
    kernel = (3, 2, 3)
    pad = (padding,) * 3
    dil = (dilation,) * 3
    w = torch.randn(3 * mult, 1, *kernel, dtype=torch.float64)
    if any(p > d * (k - 1) for p, d, k in zip(pad, dil, kernel)):
        x = torch.randn(1, 3, 7, 8, 9, dtype=torch.float64)
        g = torch.randn(1, 3 * mult, 2, 2, 2, dtype=torch.float64)
        with pytest.raises(ValueError, match=r"padding <= dilation\*\(kernel-1\).*padding \["):
            upsampled_input_grad(g, x, w, list(stride), list(pad), list(dil))
        return
    for size in ((7, 8, 9), (6, 11, 10), (5, 9, 13)):
        x = torch.randn(2, 3, *size, dtype=torch.float64)
        y = torch.nn.functional.conv3d(x, w, None, stride, pad, dil, 3)
        g = torch.randn_like(y)
        want = aten_grad(g, x, w, stride, pad, dil, 0)
        got = upsampled_input_grad(g, x, w, list(stride), list(pad), list(dil))
        assert got.shape == x.shape and got.is_contiguous(memory_format=torch.channels_last_3d)
        torch.testing.assert_close(got, want, atol=1e-12, rtol=1e-12)


def test_upsampled_input_grad_zero_on_rows_the_forward_never_reads():
    """H = 8, kernel 3, stride 2, padding 0: outputs read rows 0..6 only, so row 7 gets no gradient; W = 9
    reads every column."""
    torch.manual_seed(0)
    x = torch.randn(2, 4, 3, 8, 9, dtype=torch.float64).contiguous(memory_format=torch.channels_last_3d)
    w = torch.randn(4, 1, 3, 3, 3, dtype=torch.float64)
    y = torch.nn.functional.conv3d(x, w, None, (1, 2, 2), (1, 0, 0), 1, 4)
    assert y.shape[3:] == (3, 4)
    g = torch.randn_like(y)
    got = upsampled_input_grad(g, x, w, [1, 2, 2], [1, 0, 0], [1, 1, 1])
    assert got.is_contiguous(memory_format=torch.channels_last_3d)
    assert torch.all(got[:, :, :, 7] == 0) and torch.all(got[:, :, :, 6].abs() > 0)
    assert torch.all(got[:, :, :, :7, 8].abs().sum((0, 1, 2)) > 0)
    torch.testing.assert_close(got, aten_grad(g, x, w, (1, 2, 2), (1, 0, 0), (1, 1, 1), 0))


@pytest.mark.parametrize("stride,padding,dilation,mult,bias", [
    ((1, 2, 2), (1, 1, 1), (1, 1, 1), 1, False),
    ((2, 2, 2), (1, 0, 2), (1, 1, 1), 2, True),
    ((1, 2, 2), (2, 2, 2), (2, 1, 2), 1, True),
    ((2, 1, 2), (0, 1, 1), (1, 1, 1), 2, False),
])
def test_gradcheck_float64_upsampled_path(stride, padding, dilation, mult, bias):
    """Finite differences through the registered operator on shapes where the backward takes the upsampled
    input gradient (odd sizes, so some rows are never read)."""
    kernel = [3, 3, 3]
    assert use_upsampled_input_grad(kernel, list(stride), list(padding), list(dilation))
    torch.manual_seed(0)
    x = torch.randn(2, 2, 3, 7, 6, dtype=torch.float64, requires_grad=True)
    w = torch.randn(2 * mult, 1, *kernel, dtype=torch.float64, requires_grad=True)
    b = torch.randn(2 * mult, dtype=torch.float64, requires_grad=True) if bias else None

    def fn(t, w, *b):
        return fast_depthwise_conv3d(t, w, b[0] if b else None, stride, padding, dilation)

    assert torch.autograd.gradcheck(fn, (x, w) + ((b,) if bias else ()), eps=1e-6, atol=1e-7)


def test_upsampled_input_grad_float32_matches_plain_conv():
    """fp32, MViT's main-job kv pooling shape (channels-last output gradient as MViT's token reshape gives).
    The weight gradient sums 73728 products per entry in another order on the tap path (depthwise_weight_grad.py;
    against float64 its largest error is 1.4e-7 of the largest entry, aten's 3.4e-7): compared to that scale."""
    torch.manual_seed(0)
    conv = _conv((16, 32, 4, 12, 12), 1, (3, 3, 3), (1, 2, 2), (1, 1, 1), (1, 1, 1), False)
    x = torch.randn(16, 32, 4, 12, 12)
    plain, fast = _run(conv, x, "plain"), _run(conv, x, "fast")
    for i, (a, b) in enumerate(zip(plain, fast)):
        atol = 1e-6 * a.abs().max().item() if i == 2 else 1e-5
        torch.testing.assert_close(b, a, atol=atol, rtol=1e-5)


def test_cpu_input_grad_choice_and_auto():
    """Upsampled input gradient (and "auto" = fast on CPU) for a spatial kernel and a stride product <= 8 only."""
    k3 = [3, 3, 3]
    assert use_upsampled_input_grad(k3, [1, 2, 2], [1, 1, 1], [1, 1, 1])
    assert use_upsampled_input_grad(k3, [2, 2, 2], [1, 1, 1], [1, 1, 1])
    assert not use_upsampled_input_grad(k3, [1, 1, 1], [1, 1, 1], [1, 1, 1])  # stride 1: aten
    assert not use_upsampled_input_grad(k3, [1, 4, 4], [1, 1, 1], [1, 1, 1])  # measured no clear win
    assert not use_upsampled_input_grad(k3, [1, 8, 8], [1, 1, 1], [1, 1, 1])  # measured slower
    assert not use_upsampled_input_grad([3, 1, 1], [3, 1, 1], [0, 0, 0], [1, 1, 1])  # temporal: slower
    assert not use_upsampled_input_grad(k3, [1, 2, 2], [1, 3, 1], [1, 1, 1])  # padding beyond the kernel
    x = torch.zeros(2, 4, 3, 8, 8)
    assert _conv(x.shape, 1, (3, 3, 3), (1, 2, 2), (1, 1, 1), (1, 1, 1), False).resolved_impl(x) == "fast"
    assert _conv(x.shape, 1, (3, 3, 3), (1, 8, 8), (1, 1, 1), (1, 1, 1), False).resolved_impl(x) == "plain"


def test_tiny_svit_step_fast_equals_plain():
    """The main job's model (MViT kv pooling (1,2,2), video + co-trained frames): every parameter gradient
    of one loss agrees to 1e-5 between MODEL.DEPTHWISE_CONV_IMPL fast and plain, and auto takes fast."""
    grads, convs = tiny_svit_grads()
    assert all(tuple(m.stride) == (1, 2, 2) for m in convs)
    for n, g in grads["plain"].items():
        torch.testing.assert_close(grads["fast"][n], g, atol=1e-5, rtol=1e-4, msg=lambda m, n=n: f"{n}: {m}")


@pytest.mark.parametrize("stride", [(1, 2, 2), (1, 8, 8)])
def test_backward_fake_matches_real_layout(stride):
    """The backward operator's fake (what torch.compile plans with) gives the real gradients' shapes and
    strides: channels-last dL/dx on the upsampled path, ``x``'s layout on aten's."""
    from torch._subclasses.fake_tensor import FakeTensorMode

    op = torch.ops.svit.depthwise_conv3d_backward.default
    x, w = torch.randn(2, 4, 3, 17, 17), torch.randn(8, 1, 3, 3, 3)
    y = torch.nn.functional.conv3d(x, w, None, stride, 1, 1, 4)
    g = torch.randn(y.shape[0], *y.shape[2:], y.shape[1]).permute(0, 4, 1, 2, 3)  # MViT's token layout
    args = [stride, [1, 1, 1], [1, 1, 1], True, True, False]
    real = op(g, x, w, *args)
    with FakeTensorMode() as mode:
        fake = op(mode.from_tensor(g), mode.from_tensor(x), mode.from_tensor(w), *args)
    assert [(t.shape, t.stride()) for t in fake] == [(t.shape, t.stride()) for t in real]
    assert real[0].is_contiguous(memory_format=torch.channels_last_3d) == (stride == (1, 2, 2))
    assert torch.library.opcheck(op, (g, x, w, *args))["test_faketensor"] == "SUCCESS"


def test_aot_autograd_traces_the_upsampled_backward():
    """AOT autograd traces the backward operator through its fake and then runs the upsampled input gradient,
    with eager's gradients (layout agreement itself: test_backward_fake_matches_real_layout)."""
    torch.manual_seed(0)
    conv = DepthwiseConv3d(4, 8, (3, 3, 3), stride=(1, 2, 2), padding=1, groups=4, bias=True)
    conv.impl = "fast"
    x = torch.randn(2, 4, 3, 9, 9)
    outs = {}
    for name, fn in (("eager", conv), ("aot", torch.compile(conv, backend="aot_eager", fullgraph=True))):
        conv.zero_grad(set_to_none=True)
        xi = x.clone().requires_grad_()
        y = fn(xi)
        (y * torch.linspace(-1, 1, y.numel()).view(y.shape)).sum().backward()
        outs[name] = (y.detach(), xi.grad, conv.weight.grad.clone(), conv.bias.grad.clone())
    for a, b in zip(outs["eager"], outs["aot"]):
        torch.testing.assert_close(b, a, atol=1e-6, rtol=1e-6)
