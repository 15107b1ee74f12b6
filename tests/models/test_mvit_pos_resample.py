"""A PySlowFast MViT checkpoint made at 16x224 (MViTv1-B ``MVIT_B_16x4_CONV``: separable absolute
position embeddings, patch stride 2x4x4) loads into an 8x96 model: ``pos_embed_spatial`` is resampled
bicubically over its square grid, ``pos_embed_temporal`` linearly, both listed in ``report.resampled``."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from mvit_cfgs import yaml_cfg

from svit.checkpoint import CheckpointError, load_checkpoint
from svit.models import build_model

# MViTv1-B's embedding layout, one tiny block: what matters here is the position tables.
V1_TINY = [
    "MODEL.MODEL_NAME", "MViT", "MODEL.NUM_CLASSES", 5,
    "MVIT.SEP_POS_EMBED", True, "MVIT.USE_ABS_POS", True, "MVIT.CLS_EMBED_ON", True,
    "MVIT.REL_POS_SPATIAL", False, "MVIT.REL_POS_TEMPORAL", False, "MVIT.RESIDUAL_POOLING", False,
    "MVIT.DIM_MUL_IN_ATT", False, "MVIT.DEPTH", 1, "MVIT.EMBED_DIM", 8, "MVIT.NUM_HEADS", 1,
    "MVIT.DIM_MUL", [], "MVIT.HEAD_MUL", [], "MVIT.POOL_Q_STRIDE", [], "MVIT.POOL_KV_STRIDE_ADAPTIVE", [1, 8, 8],
    "MVIT.PATCH_STRIDE", [2, 4, 4], "MVIT.PATCH_KERNEL", [3, 7, 7], "MVIT.PATCH_PADDING", [1, 3, 3],
]


def _cfg(frames: int, crop: int):
    return yaml_cfg("ssv2.yaml", V1_TINY + ["DATA.NUM_FRAMES", frames, "DATA.TRAIN_CROP_SIZE", crop,
                                            "DATA.TEST_CROP_SIZE", crop])


def test_16x224_checkpoint_into_8x96_model(tmp_path):
    torch.manual_seed(0)
    src = build_model(_cfg(16, 224))
    assert src.pos_embed_spatial.shape == (1, 56 * 56, 8) and src.pos_embed_temporal.shape == (1, 8, 8)
    with torch.no_grad():  # a smooth field, so the resampled table can be checked against it
        yy, xx = torch.meshgrid(torch.linspace(-1, 1, 56), torch.linspace(-1, 1, 56), indexing="ij")
        field = torch.stack([xx, yy, xx * yy, xx**2] * 2, dim=-1).reshape(1, 56 * 56, 8)
        src.pos_embed_spatial.copy_(field)
    path = tmp_path / "K400_MVIT_B_16x4_CONV.pyth"
    torch.save({"model_state": {"module." + k: v for k, v in src.state_dict().items()}, "epoch": 200}, path)

    dst = build_model(_cfg(8, 96))
    report = load_checkpoint(str(path), dst, checkpoint_type="slowfast")
    assert ("pos_embed_spatial", (1, 3136, 8), (1, 576, 8)) in report.resampled
    assert ("pos_embed_temporal", (1, 8, 8), (1, 4, 8)) in report.resampled
    assert report.skipped == [] and report.unexpected == [] and report.missing == []
    grid = field.reshape(1, 56, 56, 8).permute(0, 3, 1, 2)
    expected = F.interpolate(grid, size=(24, 24), mode="bicubic", align_corners=False).flatten(2).transpose(1, 2)
    torch.testing.assert_close(dst.pos_embed_spatial.data, expected)
    # bicubic on a smooth field: close to sampling the field at the new pixel centres
    centres = (torch.arange(24) + 0.5) * 56 / 24 - 0.5
    x_new = -1 + 2 * centres / 55
    assert torch.allclose(dst.pos_embed_spatial.data[0].reshape(24, 24, 8)[0, :, 0], x_new, atol=5e-3)
    with torch.no_grad():
        assert dst.eval()(torch.randn(1, 3, 8, 96, 96)).shape == (1, 5)


def test_non_square_spatial_table_is_refused(tmp_path):
    dst = build_model(_cfg(8, 96))
    state = {k: v.clone() for k, v in dst.state_dict().items()}
    state["pos_embed_spatial"] = torch.zeros(1, 24 * 25, 8)
    path = tmp_path / "odd.pyth"
    torch.save({"model_state": state}, path)
    with pytest.raises(CheckpointError, match="odd.pyth.*pos_embed_spatial.*600"):
        load_checkpoint(str(path), dst)
