"""MViT/SViT options from the PySlowFast MVIT.* keys: every variant builds, runs on any frame count,
keeps SDPA == explicit, and the derived block layout follows the PySlowFast rules."""
from __future__ import annotations

import pytest
import torch
from mvit_cfgs import micro_cfg, yaml_cfg

from svit.models import build_model
from svit.models.mvit.model import mvit_kwargs
from svit.models.mvit.schedule import SCHEDULE_KEYS, block_schedule

VARIANTS = {
    "max_pool": ["MVIT.MODE", "max"],
    "avg_pool": ["MVIT.MODE", "avg"],
    "pool_first": ["MVIT.POOL_FIRST", True, "MVIT.DIM_MUL_IN_ATT", False],
    "conv_unshared": ["MVIT.MODE", "conv_unshared", "MVIT.POOL_FIRST", True],
    "abs_pos_joint": ["MVIT.USE_ABS_POS", True, "MVIT.REL_POS_SPATIAL", False, "MVIT.REL_POS_TEMPORAL", False],
    "abs_pos_sep": ["MVIT.USE_ABS_POS", True, "MVIT.SEP_POS_EMBED", True],
    "explicit_kv_stride": ["MVIT.POOL_KV_STRIDE_ADAPTIVE", [], "MVIT.POOL_KV_STRIDE", [[0, 1, 2, 2], [2, 1, 2, 2]]],
    "derived_kernels": ["MVIT.POOL_KVQ_KERNEL", []],
    "no_residual_pool_mlp_dim": ["MVIT.RESIDUAL_POOLING", False, "MVIT.DIM_MUL_IN_ATT", False],
    "layer_scale_droppath": ["MVIT.LAYER_SCALE_INIT_VALUE", 0.1, "MVIT.DROPOUT_RATE", 0.1, "MVIT.NORM_STEM", True],
    "mean_pooling": ["MVIT.USE_MEAN_POOLING", True],
    "temporal_stride": ["MVIT.POOL_Q_STRIDE", [[0, 1, 1, 1], [1, 2, 2, 2], [3, 1, 2, 2]]],
}


CASES = [("SViT", n) for n in sorted(VARIANTS) if n != "mean_pooling"] + [
    ("MViT", "mean_pooling"),
    ("MViT", "max_pool"),
    ("MViT", "abs_pos_sep"),
    ("MViT", "pool_first"),
]


@pytest.mark.parametrize("model_name,name", CASES)
def test_variants_run_on_any_frame_count(model_name, name):
    cfg = micro_cfg(model_name, VARIANTS[name])
    torch.manual_seed(0)
    model = build_model(cfg).eval()
    for frames in (2, 6):  # the config says 4: the grid comes from the input
        x = torch.randn(1, 3, frames, 32, 32)
        with torch.no_grad():
            model.set_attn_impl("explicit")
            a = model(x)
            model.set_attn_impl("sdpa")
            b = model(x)
        logits_a = a["logits"] if isinstance(a, dict) else a
        logits_b = b["logits"] if isinstance(b, dict) else b
        assert logits_a.shape == (1, 7) and torch.isfinite(logits_a).all()
        torch.testing.assert_close(logits_a, logits_b, atol=1e-5, rtol=1e-5)
        if isinstance(a, dict):
            assert a["pred_bboxes"].shape == (1, frames, 4, 5)
            assert a["obj_desc"].shape[:3] == (1, frames, 4)


def test_ssv2_block_schedule_matches_spec_table():
    cfg = yaml_cfg("mvitv2_s_ssv2.yaml")
    specs = block_schedule([8, 56, 56], **{k: v for k, v in mvit_kwargs(cfg).items() if k in SCHEDULE_KEYS})
    dims = [(s.dim, s.dim_out, s.num_heads) for s in specs]
    assert dims[0] == (96, 96, 1) and dims[1] == (96, 192, 2) and dims[3] == (192, 384, 4)
    assert dims[14] == (384, 768, 8) and dims[15] == (768, 768, 8)
    kv = [s.stride_kv for s in specs]
    assert kv[0] == [1, 8, 8] and kv[1] == kv[2] == [1, 4, 4] and kv[3] == kv[13] == [1, 2, 2]
    assert kv[14] == kv[15] == [1, 1, 1]
    assert specs[15].drop_path == pytest.approx(0.4) and specs[0].drop_path == 0.0
    model = build_model(cfg)
    rows = [b.attn.rel_pos_h.shape[0] for b in model.blocks]
    assert rows == [111, 55, 55] + [27] * 12 + [13]
    assert all(b.attn.rel_pos_t.shape[0] == 15 for b in model.blocks)


def test_no_weight_decay_and_checkpointing_flag():
    model = build_model(micro_cfg("SViT", ["MVIT.ZERO_DECAY_POS_CLS", True]))
    names = model.no_weight_decay()
    params = dict(model.named_parameters())
    assert names <= params.keys()
    assert {"cls_token", "object_queries", "pos_embed_temporal", "blocks.0.attn.rel_pos_t"} <= names
    assert not any(n.endswith("weight") for n in names)
    assert build_model(micro_cfg("SViT")).no_weight_decay() == set()  # ssv2.yaml: flag off
    model.set_grad_checkpointing(True)
    assert model.grad_checkpointing


def test_activation_checkpointing_gives_identical_gradients():
    cfg = micro_cfg("SViT")  # drop path 0.4 and head dropout 0.5 are active in training
    torch.manual_seed(0)
    model = build_model(cfg).train()
    x = torch.randn(2, 3, 4, 32, 32)

    def grads(flag):
        model.zero_grad()
        model.set_grad_checkpointing(flag)
        torch.manual_seed(123)
        out = model(x)
        (out["logits"].square().sum() + out["pred_bboxes"].sum()).backward()
        return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}

    plain, ckpt = grads(False), grads(True)
    assert plain.keys() == ckpt.keys() and len(plain) > 100
    for n in plain:
        torch.testing.assert_close(plain[n], ckpt[n], atol=1e-6, rtol=1e-5, msg=n)


def test_bf16_autocast_forward():
    torch.manual_seed(0)
    model = build_model(micro_cfg("SViT")).eval()
    x = torch.randn(2, 3, 4, 32, 32)
    with torch.no_grad():
        ref = model(x)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            low = model(x)
    for k in ref:
        assert torch.isfinite(low[k].float()).all(), k
    torch.testing.assert_close(low["logits"].float(), ref["logits"], atol=0.1, rtol=0.1)
    torch.testing.assert_close(low["pred_bboxes"].float(), ref["pred_bboxes"], atol=0.1, rtol=0.1)
