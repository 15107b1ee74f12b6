"""A PySlowFast MViT checkpoint made at 16x224 (MViTv1-B ``MVIT_B_16x4_CONV``: separable absolute
position embeddings, patch stride 2x4x4) loads into an 8x96 model: ``pos_embed_spatial`` is resampled
bilinearly over its square grid, ``pos_embed_temporal`` linearly, both listed in ``report.resampled``.

Together that is what PySlowFast does when its 16x224 model is given an 8x96 clip (issue 19, item 11;
bicubic before, outputs 0.125 away): it tiles the spatial table over the checkpoint's frames, adds
the temporal table to every position of its frame, prepends the class entry and interpolates the
patch part trilinearly (``align_corners=False``) to the clip's token grid. The test below writes that
formula out and compares."""
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
    expected = F.interpolate(grid, size=(24, 24), mode="bilinear", align_corners=False).flatten(2).transpose(1, 2)
    torch.testing.assert_close(dst.pos_embed_spatial.data, expected)
    # bilinear on a smooth field: close to sampling the field at the new pixel centres
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


def _pyslowfast_pos_embed(state: dict, grid_from: tuple[int, int, int], grid_to: tuple[int, int, int]) -> torch.Tensor:
    """PySlowFast's absolute embedding for a clip of token grid ``grid_to`` from a model whose tables
    were made for ``grid_from`` (separable tables, class token on), from its documented behaviour:
    combined table = spatial table repeated for every frame + temporal entry of the frame, then the
    class entry; the patch part interpolated trilinearly to the new grid when the grids differ."""
    t0, h0, w0 = grid_from
    spatial, temporal, cls = state["pos_embed_spatial"], state["pos_embed_temporal"], state["pos_embed_class"]
    dim = spatial.shape[-1]
    combined = spatial.reshape(1, 1, h0 * w0, dim) + temporal.reshape(1, t0, 1, dim)  # (1, T, HW, C)
    volume = combined.reshape(1, t0, h0, w0, dim).permute(0, 4, 1, 2, 3)
    if grid_to != grid_from:
        volume = F.interpolate(volume, size=grid_to, mode="trilinear", align_corners=False)
    patches = volume.flatten(2).transpose(1, 2)
    return torch.cat([cls, patches], dim=1)


def test_loaded_8x96_model_matches_pyslowfasts_16x224_model_on_an_8x96_clip(tmp_path):
    torch.manual_seed(0)
    src = build_model(_cfg(16, 224)).eval()
    with torch.no_grad():  # trained-size tables: far from the init, so a wrong resampling shows
        for name in ("pos_embed_spatial", "pos_embed_temporal", "pos_embed_class"):
            getattr(src, name).normal_(0.0, 1.0)
    state = {k: v.clone() for k, v in src.state_dict().items()}
    path = tmp_path / "K400_MVIT_B_16x4_CONV.pyth"
    torch.save({"model_state": state}, path)

    dst = build_model(_cfg(8, 96)).eval()
    load_checkpoint(str(path), dst, checkpoint_type="slowfast")
    want = _pyslowfast_pos_embed(state, (8, 56, 56), (4, 24, 24))
    torch.testing.assert_close(dst._abs_pos_embed([4, 24, 24]), want, rtol=1e-5, atol=1e-5)
    # the 16x224 model itself given the 8x96 clip (on-the-fly resampling) agrees with the formula too
    torch.testing.assert_close(src._abs_pos_embed([4, 24, 24]), want, rtol=1e-5, atol=1e-5)
    x = torch.randn(2, 3, 8, 96, 96, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.testing.assert_close(dst(x), src(x), rtol=1e-4, atol=1e-5)
