"""Pooling attention pieces: the object-token pooling rule, relative-position indexing and
resampling, and SDPA vs explicit attention (same function to 1e-5 in float32)."""
from __future__ import annotations

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mvit_cfgs import micro_cfg

from svit.models import build_model
from svit.models.mvit.pooling import attention_pool, tap_weights
from svit.models.mvit.rel_pos import rel_pos_index, resample_rel_pos


@pytest.mark.parametrize("stride", [1, 2, 3, 4, 8])
@pytest.mark.parametrize("temporal_stride", [1, 2])
def test_object_token_pooling_equals_broadcast_and_convolve(stride, temporal_stride):
    torch.manual_seed(0)
    c, n_obj = 5, 3
    conv = nn.Conv3d(c, c, 3, stride=(temporal_stride, stride, stride), padding=1, groups=c, bias=False)
    thw = [2, 8, 8]
    tokens = torch.randn(2, 1, 1 + 2 * 8 * 8 + n_obj, c)
    out, _ = attention_pool(tokens, conv, thw, has_cls=True, norm=None)
    got = out[:, :, -n_obj:]
    # Literal definition: broadcast each object token to a kernel-sized constant volume, apply the
    # same conv (zero padding, stride), average over all output positions.
    obj = tokens[:, :, -n_obj:].reshape(-1, c)
    volume = obj[:, :, None, None, None].expand(-1, c, 3, 3, 3)
    want = conv(volume).mean(dim=(2, 3, 4)).reshape(got.shape)
    torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-5)
    # CLS passes unchanged and the patch grid is really pooled.
    torch.testing.assert_close(out[:, :, :1], tokens[:, :, :1])


def test_tap_weights_table():
    torch.testing.assert_close(tap_weights(3, 1, 1), torch.tensor([2 / 3, 1, 2 / 3], dtype=torch.float64))
    torch.testing.assert_close(tap_weights(3, 2, 1), torch.tensor([0.5, 1, 0.5], dtype=torch.float64))
    for s in (3, 4, 8):
        torch.testing.assert_close(tap_weights(3, s, 1), torch.tensor([0.0, 1, 1], dtype=torch.float64))


def test_max_pool_leaves_extra_tokens_untouched():
    pool = nn.MaxPool3d((1, 3, 3), (1, 2, 2), (0, 1, 1))
    x = torch.randn(2, 1 + 2 * 4 * 4 + 3, 6)
    out, thw = attention_pool(x, pool, [2, 4, 4], has_cls=True)
    assert thw == [2, 2, 2]
    assert out.shape == (2, 1 + 8 + 3, 6)
    torch.testing.assert_close(out[:, -3:], x[:, -3:])


@pytest.mark.parametrize("n_q,n_k", [(8, 2), (2, 8), (7, 7), (14, 7), (3, 5), (1, 1)])
def test_rel_pos_index_formula(n_q, n_k):
    idx = rel_pos_index(n_q, n_k)
    rq, rk = max(n_k / n_q, 1.0), max(n_q / n_k, 1.0)
    for a in range(n_q):
        for b in range(n_k):
            assert idx[a, b] == int(a * rq - b * rk + (n_k - 1) * rk + 1e-6)
    assert idx.min() >= 0 and idx.max() <= 2 * max(n_q, n_k) - 2


def test_resample_rel_pos():
    table = torch.arange(15.0)[:, None].repeat(1, 3)
    torch.testing.assert_close(resample_rel_pos(table, 1), table[7:8])  # the zero-offset row
    assert resample_rel_pos(table, 15) is table
    want = F.interpolate(table.t()[None], size=29, mode="linear")[0].t()
    torch.testing.assert_close(resample_rel_pos(table, 29), want)


def _sdpa_vs_explicit(cfg, x):
    torch.manual_seed(0)
    model = build_model(cfg).eval()
    with torch.no_grad():
        for p in model.parameters():  # non-trivial weights, incl. the rel-pos tables
            p.add_(0.05 * torch.randn_like(p))
        model.set_attn_impl("explicit")
        a = model(x)
        model.set_attn_impl("sdpa")
        b = model(x)
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            torch.testing.assert_close(a[k], b[k], atol=1e-5, rtol=1e-5)
        return a
    torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
    return a


@pytest.mark.parametrize("model_name", ["SViT", "MViT"])
@pytest.mark.parametrize("cls_on", [True, False])
def test_sdpa_equals_explicit(model_name, cls_on):
    """With (SViT) and without (MViT) object tokens; rel pos + residual pooling are on in this cfg."""
    cfg = micro_cfg(model_name, ["MVIT.CLS_EMBED_ON", cls_on])
    assert cfg.MVIT.REL_POS_SPATIAL and cfg.MVIT.REL_POS_TEMPORAL and cfg.MVIT.RESIDUAL_POOLING
    _sdpa_vs_explicit(cfg, torch.randn(2, 3, 4, 32, 32))
    _sdpa_vs_explicit(cfg, torch.randn(2, 3, 32, 32))
