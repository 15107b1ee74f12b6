"""Frozen means free: the tower keeps no autograd graph, gradients equal the original's semantics
(frozen parameters, graph built), the tower may run in bf16, train/eval does not touch it."""
from __future__ import annotations

import copy

import pytest
import torch
from side4video_helpers import side4video_cfg

from svit.models import build_model
from svit.models.side4video.memory import saved_tensor_bytes


def tiny(variant: str = "clip", **over):
    kw = dict(TOWER="custom", VARIANT=variant, WIDTH=64, DEPTH=4, HEADS=2, PATCH_SIZE=16)
    kw.update(over)
    torch.manual_seed(0)
    return build_model(side4video_cfg(num_classes=7, side_dim=64, crop=64, frames=4, **kw))


def clip_input(b: int = 2, t: int = 4) -> torch.Tensor:
    return torch.randn(b, 3, t, 64, 64, generator=torch.Generator().manual_seed(1))


def grads(model, x):
    model.zero_grad(set_to_none=True)
    torch.nn.functional.cross_entropy(model(x), torch.tensor([1, 5])).backward()
    return {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}


@pytest.mark.parametrize("variant", ["clip", "eva"])
def test_gradients_equal_the_frozen_graph_semantics(variant: str) -> None:
    ours = tiny(variant).train()
    original = copy.deepcopy(ours)
    original.detach_backbone = False  # the original: frozen parameters, tower run with grad mode on
    x = clip_input()
    g_ours, g_orig = grads(ours, x), grads(original, x)
    assert set(g_ours) == {n for n, _ in ours.named_parameters() if not n.startswith("backbone.")}
    for n in g_ours:
        torch.testing.assert_close(g_ours[n], g_orig[n], rtol=0, atol=0, msg=n)
    assert all(p.grad is None for p in ours.backbone.parameters())
    assert any(g.abs().sum() > 0 for g in g_ours.values())


def test_tower_builds_no_graph_and_saves_little() -> None:
    model = tiny().train()
    outs = []
    for blk in model.backbone.resblocks:
        blk.register_forward_hook(lambda m, i, o: outs.append(o))
    x = clip_input()
    frozen = saved_tensor_bytes(model, x)
    assert outs and all(o.grad_fn is None and not o.requires_grad for o in outs)
    full = tiny().train()
    for p in full.backbone.parameters():
        p.requires_grad_(True)
    full.detach_backbone = False
    fine_tuned = saved_tensor_bytes(full, x)
    assert frozen < 0.6 * fine_tuned, (frozen, fine_tuned)
    ckpt = tiny().train()
    ckpt.set_grad_checkpointing(True)
    assert saved_tensor_bytes(ckpt, x) < 0.5 * frozen


def test_grad_checkpointing_keeps_the_gradients() -> None:
    plain = tiny().train()
    ckpt = copy.deepcopy(plain)
    ckpt.set_grad_checkpointing(True)
    x = clip_input()
    g1, g2 = grads(plain, x), grads(ckpt, x)
    for n in g1:
        torch.testing.assert_close(g1[n], g2[n], rtol=1e-5, atol=1e-6, msg=n)


def test_bf16_backbone_dtype() -> None:
    ref = tiny().eval()
    low = tiny(BACKBONE_DTYPE="bfloat16").eval()
    low.load_state_dict(ref.state_dict())
    assert all(p.dtype == torch.bfloat16 for p in low.backbone.parameters())
    assert all(p.dtype == torch.float32 for n, p in low.named_parameters() if not n.startswith("backbone."))
    x = clip_input()
    with torch.no_grad():
        a, b = ref(x), low(x)
    assert b.dtype == torch.float32
    torch.testing.assert_close(b, a, rtol=0.05, atol=0.05 * a.abs().max().item())
    assert not torch.equal(a, b)  # it really ran in bf16
    low.train()
    torch.nn.functional.cross_entropy(low(x), torch.tensor([0, 1])).backward()
    assert low.fc.weight.grad is not None


def test_train_eval_mode_does_not_touch_the_tower() -> None:
    model = tiny()
    last = []
    model.backbone.resblocks[-1].register_forward_hook(lambda m, i, o: last.append(o))
    x = clip_input()
    with torch.no_grad():
        model.train()(x)
        model.eval()(x)
    torch.testing.assert_close(last[0], last[1], rtol=0, atol=0)


def test_sdpa_and_explicit_attention_agree() -> None:
    a = tiny().eval()
    b = tiny(VARIANT="clip").eval()
    b.load_state_dict(a.state_dict())
    for m in b.modules():
        if hasattr(m, "attn_impl"):
            m.attn_impl = "explicit"
    x = clip_input()
    with torch.no_grad():
        torch.testing.assert_close(a(x), b(x), rtol=1e-5, atol=1e-5)
