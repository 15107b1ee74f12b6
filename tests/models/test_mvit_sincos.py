"""MVIT.USE_FIXED_SINCOS_POS: a frozen 3-D sin-cos ``pos_embed`` laid out as PySlowFast's MViT."""
from __future__ import annotations

import math

import pytest
import torch
from mvit_cfgs import micro_cfg

from svit.models import build_model
from svit.models.mvit.sincos import sincos_3d

SINCOS = ["MVIT.USE_FIXED_SINCOS_POS", True, "MVIT.USE_ABS_POS", True, "MVIT.SEP_POS_EMBED", False,
          "MVIT.EMBED_DIM", 32]


def test_table_values_follow_the_formula():
    dim, t, h, w = 16, 2, 3, 4
    table = sincos_3d(dim, t, h, w, cls_token=True)[0]
    assert table.shape == (1 + t * h * w, dim) and torch.all(table[0] == 0)

    def code(d, p):  # [sin(p w_0..), cos(p w_0..)] with w_k = 10000^(-k/(d/2))
        ws = [10000 ** (-k / (d / 2)) for k in range(d // 2)]
        return [math.sin(p * x) for x in ws] + [math.cos(p * x) for x in ws]

    ti, hi, wi = 1, 2, 3
    row = table[1 + ti * h * w + hi * w + wi]
    expected = code(4, ti) + code(6, wi) + code(6, hi)  # time | column | row
    torch.testing.assert_close(row, torch.tensor(expected, dtype=torch.float32))
    with pytest.raises(ValueError, match="divisible by 4"):
        sincos_3d(18, 1, 2, 2)


def test_model_uses_a_frozen_table_added_as_pyslowfast_does():
    torch.manual_seed(0)
    model = build_model(micro_cfg("MViT", SINCOS))
    assert not model.pos_embed.requires_grad
    torch.testing.assert_close(model.pos_embed.data, sincos_3d(32, *model.patch_dims, cls_token=True))
    assert "pos_embed" in model.no_weight_decay() or not model.zero_decay_pos_cls
    x = torch.randn(1, 3, 4, 32, 32)
    tokens, _ = model.embed(x)
    patches, _ = model.patch_embed(x)
    plain = torch.cat([model.cls_token, patches], dim=1)
    torch.testing.assert_close(tokens, plain + 2 * model.pos_embed)  # added twice, as PySlowFast does
    model(x).sum().backward()
    assert model.pos_embed.grad is None and model.cls_token.grad is not None


def test_learned_table_without_the_flag_and_bad_combination():
    torch.manual_seed(0)
    learned = build_model(micro_cfg("MViT", SINCOS[2:]))
    assert learned.pos_embed.requires_grad
    assert not torch.allclose(learned.pos_embed, sincos_3d(32, *learned.patch_dims, cls_token=True))
    with pytest.raises(ValueError, match="USE_FIXED_SINCOS_POS"):
        build_model(micro_cfg("MViT", SINCOS[:2] + ["MVIT.SEP_POS_EMBED", True]))
