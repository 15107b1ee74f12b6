"""Attention rollout against what rollout theory gives, and the capture leaves models unchanged."""
from __future__ import annotations

import pytest
import torch

from svit.vis.attention_capture import capture_sdpa
from svit.vis.rollout import AttnLayer, grid_map, grid_relevance, rollout

from .conftest import CONFIGS


def _layers(probs: torch.Tensor, depth: int, grid=(2, 3, 3), prefix=1) -> list[AttnLayer]:
    return [AttnLayer(probs, grid, grid, grid, prefix) for _ in range(depth)]


def test_identity_attention_rolls_out_to_the_identity():
    n = 1 + 18
    r = rollout(_layers(torch.eye(n).expand(2, n, n), 3))
    assert torch.allclose(r, torch.eye(n).expand(2, n, n))


def test_uniform_attention_matches_rollout_theory():
    """Uniform attention J/N mixed with the residual: R = (I/2 + J/2N)^L = I/2^L + (1 - 1/2^L) J/N,
    so every grid token gets the same relevance (1 - 1/2^L)/N from the class token."""
    n, depth = 1 + 18, 3
    r = rollout(_layers(torch.full((1, n, n), 1.0 / n), depth))
    want = torch.eye(n) / 2**depth + (1 - 1 / 2**depth) / n
    assert torch.allclose(r[0], want, atol=1e-6)
    rel = grid_relevance(r, _layers(torch.full((1, n, n), 1.0 / n), 1)[0], out_prefix=1)
    assert rel.shape == (1, 2, 3, 3)
    assert torch.allclose(rel, torch.full_like(rel, (1 - 1 / 2**depth) / n))


def test_pooled_keys_spread_over_their_cells():
    g = grid_map((2, 4, 4), (1, 2, 2))  # 2x2x2 cells of 8 tokens each
    assert g.shape == (4, 32) and torch.allclose(g.sum(1), torch.ones(4))
    assert torch.count_nonzero(g[0]) == 8
    # a query attending only to pooled key 0 reaches exactly the 8 input tokens of that cell
    probs = torch.zeros(1, 32, 4)
    probs[..., 0] = 1
    layer = AttnLayer(probs, (2, 4, 4), (2, 4, 4), (1, 2, 2), prefix=0)
    r = rollout([layer], residual=0.0)
    assert torch.allclose(r[0, 5], g[0])


def _tiny_svit(**overrides):
    from svit.config import load_config
    from svit.models import build_model

    opts = ["DATA.NUM_FRAMES", "4", "DATA.TRAIN_CROP_SIZE", "32", "DATA.TEST_CROP_SIZE", "32"]
    for k, v in overrides.items():
        opts += [k, v]
    cfg = load_config(str(CONFIGS / "svit_tiny.yaml"), opts)
    torch.manual_seed(0)
    return build_model(cfg).eval(), torch.randn(2, 3, 4, 32, 32)


@pytest.mark.parametrize("impl", ["sdpa", "explicit"])
def test_capture_leaves_outputs_unchanged_and_records_probabilities(impl):
    from svit.vis.rollout_families import mvit_layers

    net, x = _tiny_svit(**{"MODEL.ATTN_IMPL": impl})
    with torch.no_grad():
        ref = net(x)["logits"]
    layers, logits = mvit_layers(net, x)
    assert torch.allclose(logits, ref, atol=1e-5)
    assert len(layers) == 2  # MVIT.DEPTH 2
    for layer in layers:
        assert torch.allclose(layer.probs.sum(-1), torch.ones(()), atol=1e-5)
        assert layer.extra == 4 * 4  # SViT's object tokens: 4 input frames x SVIT.O 4 slots
    assert torch.nn.functional.scaled_dot_product_attention is not None
    with torch.no_grad():
        assert torch.allclose(net(x)["logits"], ref)  # SDPA is restored after the capture


def test_zero_query_key_svit_looks_everywhere_alike():
    """q = k = 0 makes every attention row uniform over its keys; rolled out over pooled keys, every
    patch of the grid is equally relevant to the class token."""
    from svit.vis.rollout_families import relevance

    net, x = _tiny_svit()
    with torch.no_grad():
        for blk in net.blocks:
            w = blk.attn.qkv.weight
            d = w.shape[0] // 3
            w[: 2 * d].zero_()
            blk.attn.qkv.bias[: 2 * d].zero_()
    rel, _, what = relevance(net, x)
    assert "rollout of 2 SViT layers" in what
    assert torch.allclose(rel, rel.flatten(1).mean(1).view(-1, 1, 1, 1).expand_as(rel), rtol=1e-4)


def test_capture_restores_sdpa_after_an_error():
    original = torch.nn.functional.scaled_dot_product_attention
    with pytest.raises(RuntimeError):
        with capture_sdpa():
            raise RuntimeError("boom")
    assert torch.nn.functional.scaled_dot_product_attention is original


def test_swin_window_attention_lands_on_the_windows_tokens():
    """q = k = 0 and no position bias: each token attends uniformly to its own window. Scattered back
    to the grid, token (0, 0, 0)'s row of the first (unshifted) block covers exactly the first
    window's tokens, equally; every row of the shifted block sums to one."""
    from svit.config import load_config
    from svit.models import build_model
    from svit.models.swin.windows import clip_window
    from svit.vis.rollout_families import relevance, swin_layers

    cfg = load_config(str(CONFIGS / "swin_tiny.yaml"), ["DATA.NUM_FRAMES", "4"])
    net = build_model(cfg).eval()
    with torch.no_grad():
        for m in net.modules():
            if hasattr(m, "relative_position_bias_table") and hasattr(m, "qkv"):
                m.relative_position_bias_table.zero_()
                d = m.qkv.weight.shape[0] // 3
                m.qkv.weight[: 2 * d].zero_()
                if m.qkv.bias is not None:
                    m.qkv.bias[: 2 * d].zero_()
    x = torch.randn(1, 3, 4, 32, 32)
    layers, _ = swin_layers(net, x)
    first = layers[0]
    blk = next(m for m in net.modules() if type(m).__name__ == "SwinBlock3D")
    window, _ = clip_window(first.in_grid, blk.window_size, blk.shift_size)
    t, h, w = first.in_grid
    cells = torch.stack(torch.meshgrid(torch.arange(t), torch.arange(h), torch.arange(w), indexing="ij"), -1)
    own = ((cells // torch.tensor(window)) == 0).all(-1).reshape(-1)
    row = first.probs[0, 0]
    assert torch.equal(row > 0, own)
    assert torch.allclose(row[own], torch.full((int(own.sum()),), 1.0 / float(own.sum())))
    assert torch.allclose(layers[1].probs.sum(-1), torch.ones(()), atol=1e-5)
    rel, _, what = relevance(net, x)
    assert "Video Swin" in what and rel.shape[1:] == first.in_grid


@pytest.mark.parametrize("name", ["mvit_tiny", "uniformer_tiny", "vivit_tiny", "swin_tiny", "side4video_tiny"])
def test_every_transformer_family_rolls_out_with_unchanged_outputs(name):
    from svit.config import load_config
    from svit.engine.tasks.base import logits_of
    from svit.models import build_model
    from svit.vis.rollout_families import relevance

    cfg = load_config(str(CONFIGS / f"{name}.yaml"))
    torch.manual_seed(0)
    net = build_model(cfg).eval()
    x = torch.randn(1, 3, cfg.DATA.NUM_FRAMES, cfg.DATA.TEST_CROP_SIZE, cfg.DATA.TEST_CROP_SIZE)
    with torch.no_grad():
        ref = logits_of(net(x))
    rel, logits, what = relevance(net, x)
    assert what.startswith("rollout of")
    assert torch.allclose(logits, ref, atol=1e-5)
    assert rel.dim() == 4 and rel.shape[0] == 1 and torch.isfinite(rel).all() and (rel >= 0).all()
    assert rel.sum() > 0
