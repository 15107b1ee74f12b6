"""Full-size check numbers: parameter counts of the two shipped recipes and fvcore GFLOPs of
MViTv2-S 16x4 (explicit and SDPA paths must both count the real 64.46 GFLOPs)."""
from __future__ import annotations

import torch
from fvcore.nn import FlopCountAnalysis
from mvit_cfgs import micro_cfg, yaml_cfg

from svit.models import build_model
from svit.utils.flop_handles import add_attention_flop_handles


def _n_params(model):
    return sum(p.numel() for p in model.parameters())


def test_mvitv2_s_ssv2_params_and_gflops():
    model = build_model(yaml_cfg("mvitv2_s_ssv2.yaml", ["MODEL.ATTN_IMPL", "explicit"])).eval()
    assert _n_params(model) == 34_363_950
    fa = FlopCountAnalysis(model, torch.zeros(1, 3, 16, 224, 224))
    fa.unsupported_ops_warnings(False)
    fa.uncalled_modules_warnings(False)
    gflops = fa.total() / 1e9
    assert abs(gflops - 64.5) / 64.5 < 0.01, gflops


def test_svit_ssv2_params():
    model = build_model(yaml_cfg("ssv2.yaml"))
    assert type(model).__name__ == "SViT"
    assert _n_params(model) == 34_373_560


def _flops(model, x):
    fa = add_attention_flop_handles(FlopCountAnalysis(model, x))
    fa.unsupported_ops_warnings(False)
    fa.uncalled_modules_warnings(False)
    return fa.total()


def test_sdpa_flop_handle_matches_explicit_count():
    """The SDPA handle counts exactly the two matmuls the explicit path counts."""
    cfg = micro_cfg("MViT")
    x = torch.randn(1, 3, 4, 32, 32)
    explicit = build_model(cfg).eval()
    explicit.set_attn_impl("explicit")
    sdpa = build_model(cfg).eval()
    sdpa.set_attn_impl("sdpa")
    n_explicit = _flops(explicit, x)
    n_sdpa = _flops(sdpa, x)
    assert n_explicit == n_sdpa > 0
    fa = FlopCountAnalysis(sdpa, x)
    fa.unsupported_ops_warnings(False)
    assert fa.total() < n_sdpa  # without the handle fvcore would miss the attention matmuls
