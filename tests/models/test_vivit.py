"""ViViT: interface (forward_feature_pair), SDPA vs explicit, bf16, activation checkpointing, the
temporal-position switch, any frame count and crop, DeiT init, sizes, FLOPs and bad input."""
import pytest
import torch
from backbone_helpers import check_bf16_and_grad_checkpointing, rel
from timm.models.deit import VisionTransformerDistilled
from timm.models.vision_transformer import VisionTransformer

from svit.checkpoint import CheckpointError, load_checkpoint
from svit.config.defaults import get_cfg
from svit.models import build_model
from svit.models.vivit import ViViT
from svit.utils.flops import gflops

TINY = dict(embed_dim=32, depth=2, temporal_depth=2, num_heads=2, drop_path_rate=0.0)


def tiny(**kw) -> ViViT:
    torch.manual_seed(0)
    return ViViT(**{"num_classes": 5, "img_size": 64, "num_frames": 8, **TINY, **kw})


def test_interface_pair_and_sdpa_equals_explicit():
    m = tiny().eval()
    x = torch.randn(2, 3, 8, 64, 64)
    with torch.no_grad():
        spatial, temporal = m.forward_feature_pair(x)
        _, frame_tokens = m.forward_spatial(x)
        a = m(x)
        m.set_attn_impl("explicit")
        b = m(x)
    assert spatial.shape == (2, 32, 4, 4, 4) and temporal.shape == (2, 32, 4) and a.shape == (2, 5)
    assert torch.equal(m.forward_features(x), spatial) or rel(m.forward_features(x), spatial) < 1e-5
    with torch.no_grad():
        assert rel(m.forward_head(frame_tokens.transpose(1, 2)), b) < 1e-6
        assert rel(m.forward_head(m.forward_features(x)), b) < 1e-5
        with pytest.raises(ValueError, match="per-frame class tokens"):
            m.forward_head(spatial.clone())
    assert rel(a, b) < 1e-5
    assert m.no_weight_decay() <= {n for n, _ in m.named_parameters()}


def test_bf16_and_activation_checkpointing():
    check_bf16_and_grad_checkpointing(tiny, torch.randn(2, 3, 4, 32, 32))


def test_temporal_position_embedding_is_defined_but_only_added_with_the_switch():
    x = torch.randn(1, 3, 8, 64, 64)
    off, on = tiny().eval(), tiny(temporal_pos_embed=True).eval()
    assert off.tpos_embed.shape == (1, 9, 32)
    with torch.no_grad():
        a = off(x)
        off.tpos_embed.add_(1.0)
        assert torch.equal(off(x), a)
        assert rel(on(x), a) > 1e-3  # same weights (same seed) + tpos_embed


@pytest.mark.parametrize("frames,hw,classes", [(2, (64, 64), 3), (6, (48, 80), 7), (16, (96, 96), 2)])
def test_any_frame_count_and_crop(frames, hw, classes):
    m = tiny(num_classes=classes).eval()
    with torch.no_grad():
        spatial, temporal = m.forward_feature_pair(torch.randn(1, 3, frames, *hw))
        out = m(torch.randn(1, 3, frames, *hw))
    assert spatial.shape == (1, 32, frames // 2, hw[0] // 16, hw[1] // 16) and temporal.shape == (1, 32, frames // 2)
    assert out.shape == (1, classes) and torch.isfinite(out).all()


def test_bad_input_is_refused():
    m = tiny().eval()
    with pytest.raises(ValueError, match=r"\(1, 3, 8, 60, 60\).*patch 16x16"):
        m(torch.randn(1, 3, 8, 60, 60))
    with pytest.raises(ValueError, match=r"tubelet 2"):
        m(torch.randn(1, 3, 7, 64, 64))
    cfg = get_cfg()
    cfg.MODEL.MODEL_NAME = "ViViT"
    cfg.DATA.TRAIN_CROP_SIZE = 100
    with pytest.raises(ValueError, match="DATA.TRAIN_CROP_SIZE=100"):
        build_model(cfg)


def test_published_size_and_flops_count_sdpa():
    cfg = get_cfg()
    cfg.MODEL.MODEL_NAME = "ViViT"
    cfg.MODEL.NUM_CLASSES = 174
    cfg.DATA.TRAIN_CROP_SIZE, cfg.DATA.NUM_FRAMES = 224, 16
    with torch.device("meta"):
        assert sum(p.numel() for p in build_model(cfg).parameters()) == 29_132_334
    cfg.DATA.TRAIN_CROP_SIZE = cfg.DATA.TEST_CROP_SIZE = 32
    cfg.DATA.NUM_FRAMES = 4
    cfg.VIVIT.EMBED_DIM, cfg.VIVIT.DEPTH, cfg.VIVIT.TEMPORAL_DEPTH, cfg.VIVIT.NUM_HEADS = 32, 2, 1, 2
    m = build_model(cfg)
    assert len(m.tblocks) == 1 and m.pos_embed.shape == (1, 5, 32)
    x = torch.zeros(1, 3, 4, 32, 32)
    fused = gflops(m, x)
    cfg.MODEL.ATTN_IMPL = "explicit"
    explicit = gflops(build_model(cfg), x)
    assert fused > 0 and abs(fused - explicit) / explicit < 1e-6


def _deit(cls=VisionTransformer, **kw) -> torch.nn.Module:
    torch.manual_seed(1)
    return cls(img_size=64, patch_size=16, embed_dim=32, depth=2, num_heads=2, num_classes=1000, **kw).eval()


def test_deit_weights_initialise_the_spatial_encoder(tmp_path):
    """Two identical frames through the inflated tubelet = the image model's patch tokens."""
    deit = _deit()
    torch.save({"model": deit.state_dict()}, str(tmp_path / "deit_tiny.pth"))
    model = tiny(img_size=32).eval()  # another crop: the 64px position embedding is resampled
    report = load_checkpoint(str(tmp_path / "deit_tiny.pth"), model, checkpoint_type="deit")
    assert {k for k, _ in report.dropped} == {"head.weight", "head.bias"}
    assert {k for k, _, _ in report.resampled} == {"patch_embed.proj.weight", "pos_embed"}
    assert not report.unexpected and not report.skipped
    assert {k.split(".")[0] for k in report.missing} == {"tcls_token", "tpos_embed", "tblocks", "head"}
    model2 = tiny(img_size=64).eval()
    load_checkpoint(str(tmp_path / "deit_tiny.pth"), model2, checkpoint_type="deit")
    img = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        spatial = model2.forward_features(img.unsqueeze(2).expand(-1, -1, 2, -1, -1))
        ref = deit.blocks(deit._pos_embed(deit.patch_embed(img)))[:, 1:]
    assert rel(spatial.flatten(2).transpose(1, 2), ref) < 1e-5


def test_distilled_deit_and_real_deit_s_names(tmp_path):
    deit = _deit(VisionTransformerDistilled)
    torch.save(deit.state_dict(), str(tmp_path / "deit_distilled.pth"))
    model = tiny().eval()
    report = load_checkpoint(str(tmp_path / "deit_distilled.pth"), model, checkpoint_type="deit")
    assert {"dist_token", "head_dist.weight"} <= {k for k, _ in report.dropped}
    assert torch.equal(model.pos_embed[:, 1:], deit.pos_embed[:, 2:]) and not report.unexpected
    import timm

    with torch.device("meta"):
        real = timm.create_model("deit_small_patch16_224", pretrained=False).state_dict()
        ours = ViViT(num_classes=174, img_size=224).state_dict()
    spatial = {k for k in ours if not k.startswith(("tblocks.", "tcls_token", "tpos_embed", "head."))}
    assert {k for k in real if not k.startswith("head.")} == spatial


def test_vit_b_file_into_vivit_s_is_refused(tmp_path):
    import timm

    with torch.device("meta"):
        vit_b = timm.create_model("deit_base_patch16_224", pretrained=False).state_dict()
        model = ViViT(num_classes=174, img_size=224)
    torch.save({"model": {k: torch.zeros(()).expand(v.shape) for k, v in vit_b.items()}}, str(tmp_path / "deit_b.pth"))
    with pytest.raises(CheckpointError, match=r"deit_b\.pth.*\(1, 1, 768\).*\(1, 1, 384\)"):
        load_checkpoint(str(tmp_path / "deit_b.pth"), model, checkpoint_type="deit")
