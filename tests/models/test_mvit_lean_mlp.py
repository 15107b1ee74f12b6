"""The block MLP that saves one hidden activation (``GeluLinear``) computes what timm's ``Mlp`` does:
outputs and all gradients, in float64 exactly and under bf16 autocast to bf16 rounding, and it keeps
one fewer hidden-sized tensor for backward."""
from __future__ import annotations

import torch
from timm.layers import Mlp

from svit.models.mvit.mlp import GeluMlp


def _pair(dtype=torch.float32):
    torch.manual_seed(0)
    ref = Mlp(6, 24, 8, act_layer=torch.nn.GELU).to(dtype)
    lean = GeluMlp(6, 24, 8).to(dtype)
    lean.load_state_dict(ref.state_dict())  # same names: fc1.*, fc2.*
    lean.lean_devices = ("cpu", "cuda")  # the lean path runs on CUDA only by default; tested here on CPU
    return ref, lean


def _grads(mod, x, g):
    mod.zero_grad(set_to_none=True)
    xi = x.clone().requires_grad_()
    y = mod(xi)
    y.backward(g.to(y.dtype))
    return y.detach(), xi.grad, {n: p.grad for n, p in mod.named_parameters()}


def test_same_outputs_and_gradients_float64():
    ref, lean = _pair(torch.float64)
    x = torch.randn(3, 5, 6, dtype=torch.float64)
    g = torch.randn(3, 5, 8, dtype=torch.float64)
    (y0, gx0, gp0), (y1, gx1, gp1) = _grads(ref, x, g), _grads(lean, x, g)
    torch.testing.assert_close(y1, y0, atol=1e-12, rtol=1e-12)
    torch.testing.assert_close(gx1, gx0, atol=1e-12, rtol=1e-12)
    assert gp0.keys() == gp1.keys()
    for k in gp0:
        torch.testing.assert_close(gp1[k], gp0[k], atol=1e-12, rtol=1e-12)


def test_same_under_bf16_autocast_with_fp32_parameter_gradients():
    ref, lean = _pair()
    x, g = torch.randn(4, 7, 6), torch.randn(4, 7, 8)
    res = []
    for mod in (ref, lean):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            res.append(_grads(mod, x, g))
    (y0, gx0, gp0), (y1, gx1, gp1) = res
    assert y1.dtype == y0.dtype == torch.bfloat16
    torch.testing.assert_close(y1.float(), y0.float(), atol=0, rtol=0)  # the same ops in the same dtype
    torch.testing.assert_close(gx1, gx0, atol=2e-2, rtol=2e-2)
    for k in gp0:
        assert gp1[k].dtype == torch.float32
        torch.testing.assert_close(gp1[k], gp0[k], atol=3e-2, rtol=3e-2)


def test_keeps_one_hidden_activation_fewer():
    ref, lean = _pair()
    x = torch.randn(2, 10, 6, requires_grad=True)

    def saved_numel(mod):
        sizes = []

        def pack(t):
            sizes.append(t.numel())
            return t

        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            mod(x)
        return sum(s for s in sizes if s == 2 * 10 * 24)  # hidden-sized tensors (tokens x 24)

    assert saved_numel(ref) == 2 * (2 * 10 * 24)
    assert saved_numel(lean) == 2 * 10 * 24


def test_lean_path_is_cuda_only_by_default():
    mod = GeluMlp(6, 24, 8)
    assert mod.lean and mod.lean_devices == ("cuda",)
    x = torch.randn(2, 10, 6, requires_grad=True)
    sizes = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: sizes.append(t.numel()) or t, lambda t: t):
        mod(x)
    assert sizes.count(2 * 10 * 24) == 2  # CPU: the plain path (both hidden activations kept)


def test_eval_and_dropout_use_the_plain_path():
    torch.manual_seed(0)
    mod = GeluMlp(6, 24, 8, drop=0.5)
    assert not mod.lean
    mod.eval()
    x = torch.randn(2, 3, 6)
    ref = mod.fc2(torch.nn.functional.gelu(mod.fc1(x)))
    torch.testing.assert_close(mod(x), ref)
