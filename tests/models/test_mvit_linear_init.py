"""MVIT.LINEAR_INIT: how MViT/SViT draw every Linear weight at construction.

"trunc_normal" keeps timm's std 0.02 whatever the width (the original's init, the default); "fan_in"
draws std 1/sqrt(fan_in) cut at two stds, so a Linear keeps unit gain at any width. The embedded job
(64 wide) uses "fan_in": with 0.02 its video loss sat at chance for 1-4 epochs depending on the seed.
"""
from __future__ import annotations

import pytest
import torch
import torch.nn as nn
from mvit_cfgs import micro_cfg, yaml_cfg

from svit.config.errors import ConfigError
from svit.config.validate import validate_config
from svit.models import build_model
from svit.models.vit_common import init_vit_weights


def _linears(model: nn.Module) -> dict[str, nn.Linear]:
    return {n: m for n, m in model.named_modules() if isinstance(m, nn.Linear)}


@pytest.mark.parametrize("model_name", ["MViT", "SViT"])
def test_fan_in_draws_each_linear_at_unit_gain_and_trunc_normal_at_0_02(model_name):
    torch.manual_seed(0)
    fan_in = build_model(micro_cfg(model_name, ["MVIT.LINEAR_INIT", "fan_in"]))
    torch.manual_seed(0)
    timm_like = build_model(micro_cfg(model_name))
    linears = _linears(fan_in)
    assert "head.projection" in linears and any(".mlp." in n for n in linears)
    for name, m in linears.items():
        w, expected = m.weight.detach(), m.weight.shape[1] ** -0.5
        if w.numel() >= 1000:  # enough draws for the std to be within 10%
            assert abs(w.std().item() / (0.88 * expected) - 1) < 0.1, name  # 0.88: the std of a 2-sigma cut
        assert w.abs().max().item() <= 2 * expected + 1e-7, name
        if m.bias is not None:
            assert torch.count_nonzero(m.bias) == 0, name
    for name, m in _linears(timm_like).items():
        w = m.weight.detach()
        if w.numel() >= 1000:
            assert abs(w.std().item() / 0.02 - 1) < 0.1, name
    # Only the Linear weights differ: tokens, embeddings, convs, biases and norms come out the same.
    a, b = fan_in.state_dict(), timm_like.state_dict()
    linear_weights = {f"{n}.weight" for n in linears}
    assert a.keys() == b.keys()
    for key in a:
        if key in linear_weights:
            assert not torch.equal(a[key], b[key]), key
        else:
            assert torch.equal(a[key], b[key]), key


def test_the_embedded_job_uses_fan_in_and_its_blocks_start_at_unit_gain():
    cfg = yaml_cfg("synthetic/svit_tiny.yaml")
    assert cfg.MVIT.LINEAR_INIT == "fan_in"
    torch.manual_seed(0)
    model = build_model(cfg)
    fc1 = model.blocks[0].mlp.fc1.weight
    assert fc1.shape[1] == cfg.MVIT.EMBED_DIM == 64
    assert 0.1 < fc1.std().item() < 0.125  # 1/sqrt(64) with the 2-sigma cut, not 0.02


def test_an_unknown_init_is_refused_naming_the_key_and_value():
    with pytest.raises(ConfigError, match=r"MVIT.LINEAR_INIT .*'xavier'"):
        validate_config(yaml_cfg("synthetic/svit_tiny.yaml", ["MVIT.LINEAR_INIT", "xavier"]))
    validate_config(yaml_cfg("synthetic/svit_tiny.yaml"))
    with pytest.raises(ValueError, match=r"MVIT.LINEAR_INIT .*'xavier'"):
        build_model(micro_cfg("SViT", ["MVIT.LINEAR_INIT", "xavier"]))
    with pytest.raises(ValueError, match="'kaiming'"):
        nn.Linear(4, 4).apply(lambda m: init_vit_weights(m, linear_init="kaiming"))
