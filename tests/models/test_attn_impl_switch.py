"""One switch for the attention implementation: every transformer family's model has
``set_attn_impl(impl)`` (no module-level twin), the implementations give the same outputs, and an
unknown name is a ValueError naming the accepted ones."""
from __future__ import annotations

import pytest
import torch

from svit.models import build_model
from svit.models.mvit import attention as mvit_attention
from tests.test_registries import tiny_cfg

TRANSFORMERS = ["MViT", "SViT", "VideoSwin", "UniFormer", "ViViT"]


def _logits(out):
    return out["logits"] if isinstance(out, dict) else out


@pytest.mark.parametrize("name", TRANSFORMERS)
def test_set_attn_impl_switches_every_family_with_the_same_result(name):
    cfg, shape = tiny_cfg(name)
    torch.manual_seed(0)
    model = build_model(cfg).eval()
    x = torch.randn(shape)
    with torch.no_grad():
        model.set_attn_impl("explicit")
        ref = _logits(model(x))
        model.set_attn_impl("sdpa")
        got = _logits(model(x))
    torch.testing.assert_close(got, ref, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="attention implementation must be one of"):
        model.set_attn_impl("no_such_impl")


def test_no_module_level_twin_remains():
    assert not hasattr(mvit_attention, "set_attention_impl")
