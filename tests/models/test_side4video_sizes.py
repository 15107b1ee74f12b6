"""Side4Video sizes (spec §2, README counts from the original) and what the optimiser sees.

Built on the meta device: shapes only, no memory, instant even for ViT-L and EVA-E.
"""
from __future__ import annotations

import pytest
import torch
from side4video_helpers import side4video_cfg

from svit.engine.optim import build_optimizer
from svit.models import build_model

# (tower, side dim, classes) -> (trainable, frozen); the original's VideoCLIP counts (BN buffers excluded).
COUNTS = {
    ("ViT-B/32", 320, 400): (23_350_032, 87_454_464),
    ("ViT-B/16", 320, 400): (21_185_232, 85_797_888),
    ("ViT-L/14", 512, 400): (102_224_784, 303_177_728),
    ("ViT-B/32", 320, 174): (23_277_486, 87_454_464),
    ("ViT-B/16", 320, 174): (21_112_686, 85_797_888),
    ("ViT-L/14", 512, 174): (102_108_846, 303_177_728),
    # EVA-E: side 183,273,408 (spec §2) + fc; the tower is EVA-CLIP bigE's visual blocks without norm/head.
    ("EVA02-CLIP-bigE-14", 576, 400): (183_504_208, 4_348_717_312),
}


def meta_model(tower: str, side_dim: int, classes: int):
    cfg = side4video_cfg(num_classes=classes, side_dim=side_dim, TOWER=tower)
    with torch.device("meta"):
        return build_model(cfg)


@pytest.mark.parametrize("tower,side_dim,classes", list(COUNTS), ids=lambda v: str(v))
def test_trainable_and_frozen_counts(tower: str, side_dim: int, classes: int) -> None:
    model = meta_model(tower, side_dim, classes)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in model.parameters() if not p.requires_grad)
    assert (trainable, frozen) == COUNTS[(tower, side_dim, classes)]
    # frozen is exactly the tower; everything else trains
    assert all(not p.requires_grad for p in model.backbone.parameters())
    assert frozen == sum(p.numel() for p in model.backbone.parameters())


def test_side_blocks_follow_the_variant() -> None:
    assert len(meta_model("ViT-L/14", 512, 400).side_blocks) == 24
    eva = meta_model("EVA02-CLIP-bigE-14", 576, 400)
    assert len(eva.side_blocks) == 32 and eva.side_layers == list(range(1, 64, 2))
    assert eva.side_blocks[0].attn.num_heads == 9  # 576 // 64


def test_optimizer_holds_only_side_and_head() -> None:
    cfg = side4video_cfg(num_classes=174, side_dim=64, crop=64, TOWER="custom", WIDTH=64, DEPTH=2, HEADS=1)
    cfg.SOLVER.OPTIMIZING_METHOD = "adamw"
    model = build_model(cfg)
    opt = build_optimizer(cfg, model)
    in_opt = {id(p) for g in opt.param_groups for p in g["params"]}
    assert not any(id(p) in in_opt for p in model.backbone.parameters())
    assert all(id(p) in in_opt for n, p in model.named_parameters() if not n.startswith("backbone."))
