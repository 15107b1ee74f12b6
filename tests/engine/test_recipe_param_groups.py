"""The shipped H2CN / TSM configs reproduce their originals' optimiser policies exactly.

TSN-style code (TSM ``ops/models.py``, H2CN ``ops/models_tsn.py``) sorts parameters by module
type: the first conv, other convs, linear layers (fc x5 / bias x10 when ``fc_lr5``) and BN, each
group with an lr and a weight-decay multiplier. Our configs state the same recipe as
``SOLVER.PARAM_GROUPS`` name rules; this test rebuilds the type-based table independently and
compares it, parameter by parameter, with the lr and weight decay the optimiser really uses.
The IBM recipes (TSN) use one plain group; their configs must stay without rules.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn as nn

from svit.config import load_config
from svit.engine.lr_policy import set_lr
from svit.engine.optim import build_optimizer
from svit.models import build_model

ROOT = Path(__file__).resolve().parents[2]
DATASETS = ("k400", "ssv2", "mini_k400", "mini_ssv2")
H2CN = [f"configs/cnn/{d}/h2cn_r50_f{t}.yaml" for d in DATASETS for t in (8, 16)]
TSM = [f"configs/cnn/{d}/tsm_r50_f{t}.yaml" for d in DATASETS for t in (8, 16, 32)]
SVMIX_TSM = sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("configs/svmix/*/tsm_r50.yaml"))
IBM_TSN = [f"configs/cnn/{d}/tsn_r50_f8.yaml" for d in DATASETS]

_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
_BN = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


def original_policy(model: nn.Module, fc_lr5: bool) -> dict[str, tuple[float, float]]:
    """name -> (lr_mult, decay_mult) as the TSN-style ``get_optim_policies`` assigns them (RGB,
    no partial BN): sorted by module type, not by name."""
    table: dict[str, tuple[float, float]] = {}
    seen_conv = False
    for mod_name, m in model.named_modules():
        own = dict(m.named_parameters(recurse=False))
        if not own:
            continue
        prefix = f"{mod_name}." if mod_name else ""
        if isinstance(m, _CONV):
            weight_bias = ((1.0, 1.0), (2.0, 0.0))  # first conv and normal convs agree for RGB
            seen_conv = True
        elif isinstance(m, nn.Linear):
            weight_bias = ((5.0, 1.0), (10.0, 0.0)) if fc_lr5 else ((1.0, 1.0), (2.0, 0.0))
        elif isinstance(m, _BN):
            weight_bias = ((1.0, 0.0), (1.0, 0.0))
        else:
            raise AssertionError(f"{mod_name}: {type(m).__name__} has no policy in the original")
        for leaf, mult in zip(("weight", "bias"), weight_bias):
            if leaf in own:
                table[prefix + leaf] = mult
        assert set(own) <= {"weight", "bias"}, f"{mod_name} holds {sorted(own)}"
    assert seen_conv
    return table


def effective(cfg_path: str) -> tuple[object, nn.Module, dict[str, tuple[float, float]]]:
    """(cfg, model, name -> (lr, weight decay)) after the engine set the lr to BASE_LR."""
    cfg = load_config(str(ROOT / cfg_path), ["NUM_GPUS", "0"])
    with torch.device("meta"):
        model = build_model(cfg)
    opt = build_optimizer(cfg, model)
    set_lr(opt, cfg.SOLVER.BASE_LR)
    by_id = {id(p): (g["lr"], g["weight_decay"]) for g in opt.param_groups for p in g["params"]}
    return cfg, model, {n: by_id[id(p)] for n, p in model.named_parameters()}


def check_against(cfg, model, got, fc_lr5: bool) -> None:
    base_lr, wd = cfg.SOLVER.BASE_LR, cfg.SOLVER.WEIGHT_DECAY
    want = original_policy(model, fc_lr5)
    assert set(want) == set(got)
    wrong = {n: (got[n], (base_lr * lr_m, wd * wd_m)) for n, (lr_m, wd_m) in want.items()
             if got[n] != pytest.approx((base_lr * lr_m, wd * wd_m))}
    assert not wrong, f"{len(wrong)} parameters differ, e.g. {list(wrong.items())[:4]}"


def mults(cfg, got: dict, name: str) -> tuple[float, float]:
    lr, wd = got[name]
    return lr / cfg.SOLVER.BASE_LR, wd / cfg.SOLVER.WEIGHT_DECAY


@pytest.mark.parametrize("cfg_path", H2CN)
def test_h2cn_configs_follow_h2cn_policies(cfg_path):
    cfg, model, got = effective(cfg_path)
    first_conv = next(n for n, m in model.named_modules() if isinstance(m, _CONV))
    assert first_conv == "backbone.motion.level1.hgc.spatial"
    # The table of shared/spec/h2cn.md section 6 (fc_lr5 off).
    assert mults(cfg, got, f"{first_conv}.weight") == pytest.approx((1.0, 1.0))
    assert mults(cfg, got, "backbone.layer2.0.conv2.weight") == pytest.approx((1.0, 1.0))
    assert mults(cfg, got, "fc.weight") == pytest.approx((1.0, 1.0))
    assert mults(cfg, got, "fc.bias") == pytest.approx((2.0, 0.0))
    assert mults(cfg, got, "backbone.conv1.bias") == pytest.approx((2.0, 0.0))
    assert mults(cfg, got, "backbone.layer3.0.downsample.0.bias") == pytest.approx((2.0, 0.0))
    assert mults(cfg, got, "backbone.layer1.0.bn1.weight") == pytest.approx((1.0, 0.0))
    assert mults(cfg, got, "backbone.layer1.0.downsample.1.bias") == pytest.approx((1.0, 0.0))
    assert mults(cfg, got, "backbone.motion.stem_bn.bias") == pytest.approx((1.0, 0.0))
    check_against(cfg, model, got, fc_lr5=False)


@pytest.mark.parametrize("cfg_path", TSM + SVMIX_TSM)
def test_tsm_configs_follow_tsm_policies(cfg_path):
    cfg, model, got = effective(cfg_path)
    assert not cfg.CNN.PARTIAL_BN  # the TSM scripts' --npb; partial BN has no name-rule form
    assert mults(cfg, got, "conv1.weight") == pytest.approx((1.0, 1.0))
    assert mults(cfg, got, "layer4.2.conv3.weight") == pytest.approx((1.0, 1.0))
    assert mults(cfg, got, "fc.weight") == pytest.approx((5.0, 1.0))
    assert mults(cfg, got, "fc.bias") == pytest.approx((10.0, 0.0))
    assert mults(cfg, got, "bn1.weight") == pytest.approx((1.0, 0.0))
    assert mults(cfg, got, "layer3.1.bn2.bias") == pytest.approx((1.0, 0.0))
    check_against(cfg, model, got, fc_lr5=True)


@pytest.mark.parametrize("cfg_path", IBM_TSN)
def test_ibm_tsn_configs_keep_one_plain_group(cfg_path):
    """IBM train.py hands model.parameters() to SGD: same lr and decay for weights, biases and BN."""
    cfg, model, got = effective(cfg_path)
    assert list(cfg.SOLVER.PARAM_GROUPS) == []
    assert set(got.values()) == {(cfg.SOLVER.BASE_LR, cfg.SOLVER.WEIGHT_DECAY)}
    assert {"fc.bias", "bn1.weight", "conv1.weight"} <= set(got)
