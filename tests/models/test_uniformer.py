"""UniFormer: interface, SDPA vs explicit, bf16, activation checkpointing, sizes, FLOPs, official and
ImageNet checkpoints, bad input."""
import pytest
import torch
from backbone_helpers import check_bf16_and_grad_checkpointing, rel
from fixture_weights import fixture_state_dict

from svit.checkpoint import CheckpointError, load_checkpoint
from svit.config.defaults import get_cfg
from svit.models import build_model
from svit.models.uniformer import UNIFORMER_DEPTHS, UniFormer
from svit.utils.flops import gflops

TINY = dict(depth=(1, 1, 2, 1), embed_dim=(16, 32, 64, 64), head_dim=32, drop_path_rate=0.0)


def tiny(**kw) -> UniFormer:
    torch.manual_seed(0)
    return UniFormer(**{"num_classes": 5, **TINY, **kw})


def test_interface_and_sdpa_equals_explicit():
    m = tiny().eval()
    x = torch.randn(2, 3, 8, 64, 64)
    with torch.no_grad():
        f = m.forward_features(x)
        a = m(x)
        m.set_attn_impl("explicit")
        b = m(x)
    assert f.shape == (2, 64, 4, 2, 2) and a.shape == (2, 5)
    assert torch.equal(m.forward_head(f), a) or rel(m.forward_head(f), a) < 1e-6
    assert rel(a, b) < 1e-5
    assert m.no_weight_decay() <= {n for n, _ in m.named_parameters()}


def test_bf16_and_activation_checkpointing():
    check_bf16_and_grad_checkpointing(tiny, torch.randn(2, 3, 4, 32, 32))


@pytest.mark.parametrize("frames,crop,classes", [(2, 32, 3), (6, 96, 17), (10, 64, 2)])
def test_other_frame_counts_crops_and_classes(frames, crop, classes):
    with torch.no_grad():
        out = tiny(num_classes=classes).eval()(torch.randn(1, 3, frames, crop, crop))
    assert out.shape == (1, classes) and torch.isfinite(out).all()


def test_crop_not_divisible_is_refused():
    with pytest.raises(ValueError, match=r"not divisible by the patch stride"):
        tiny().eval()(torch.randn(1, 3, 4, 48, 48))  # 48/4 = 12, 12/2 = 6, 6/2 = 3, 3/2 does not divide
    cfg = get_cfg()
    cfg.MODEL.MODEL_NAME = "UniFormer"
    cfg.DATA.TRAIN_CROP_SIZE = 200
    with pytest.raises(ValueError, match="DATA.TRAIN_CROP_SIZE=200"):
        build_model(cfg)


def _count(**kw) -> int:
    with torch.device("meta"):
        return sum(p.numel() for p in UniFormer(**kw).parameters())


def test_published_sizes():
    assert round(_count(num_classes=400) / 1e6, 1) == 21.4
    assert _count(num_classes=174) == 21_284_462
    assert round(_count(num_classes=400, depth=UNIFORMER_DEPTHS["base"]) / 1e6, 1) == 49.8


def test_builder_reads_config_and_flops_count_sdpa():
    cfg = get_cfg()
    cfg.MODEL.MODEL_NAME = "UniFormer"
    cfg.MODEL.NUM_CLASSES = 9
    cfg.DATA.TRAIN_CROP_SIZE = cfg.DATA.TEST_CROP_SIZE = 64
    cfg.UNIFORMER.DEPTHS, cfg.UNIFORMER.EMBED_DIM, cfg.UNIFORMER.HEAD_DIM = [1, 1, 2, 1], [16, 32, 64, 64], 32
    m = build_model(cfg)
    assert m.head.out_features == 9 and len(m.blocks3) == 2
    x = torch.zeros(1, 3, 4, 64, 64)
    fused = gflops(m, x)
    cfg.MODEL.ATTN_IMPL = "explicit"
    explicit = gflops(build_model(cfg), x)
    assert fused > 0 and abs(fused - explicit) / explicit < 1e-6


def _official_keys(fixtures_dir, num_classes: int) -> list:
    """Key list of the original ``Uniformer`` class (the fixture's), with another classifier size."""
    fx = torch.load(fixtures_dir / "svmix" / "svmix_uniformer_s_t16_96.pt", weights_only=True)
    return [[k, [num_classes, *s[1:]] if k.startswith("head.") else s, t] for k, s, t in fx["keys"]]


def test_official_video_checkpoint_loads_strictly(fixtures_dir, tmp_path):
    sd = fixture_state_dict(_official_keys(fixtures_dir, 400), "B")
    torch.save({"model_state": sd, "epoch": 110}, str(tmp_path / "uniformer_small_k400_16x4.pth"))
    model = UniFormer(num_classes=400)
    report = load_checkpoint(str(tmp_path / "uniformer_small_k400_16x4.pth"), model, strict=True,
                             checkpoint_type="uniformer")
    assert not report.resampled and not report.dropped
    assert torch.equal(model.blocks3[5].attn.qkv.weight, sd["blocks3.5.attn.qkv.weight"])


def test_imagenet_2d_weights_are_inflated(fixtures_dir, tmp_path):
    keys = [[k, ([s[0], s[1], *s[3:]] if len(s) == 5 else s), t] for k, s, t in _official_keys(fixtures_dir, 1000)]
    sd = fixture_state_dict(keys, "B")
    torch.save({"model": sd}, str(tmp_path / "uniformer_small_in1k.pth"))
    model = UniFormer(num_classes=174)
    report = load_checkpoint(str(tmp_path / "uniformer_small_in1k.pth"), model, checkpoint_type="uniformer")
    assert set(report.missing) == {"head.weight", "head.bias"} and not report.skipped and not report.unexpected
    assert {k for k, _ in report.dropped} == {"head.weight", "head.bias"}
    inflated = {k for k, _, _ in report.resampled}
    assert {"patch_embed1.proj.weight", "blocks1.0.attn.weight", "blocks3.0.pos_embed.weight"} <= inflated
    w = model.patch_embed1.proj.weight
    assert w.shape == (64, 3, 3, 4, 4) and torch.allclose(w.sum(2), sd["patch_embed1.proj.weight"], atol=1e-6)
    assert torch.allclose(model.blocks2[1].attn.weight[:, :, 2], sd["blocks2.1.attn.weight"] / 5)


def test_uniformer_b_file_into_uniformer_s_is_refused(tmp_path):
    with torch.device("meta"):
        b_shapes = {k: tuple(v.shape) for k, v in UniFormer(num_classes=400, depth=UNIFORMER_DEPTHS["base"],
                                                              embed_dim=(64, 128, 320, 640)).state_dict().items()}
        small = UniFormer(num_classes=400)
    torch.save({"model": {k: torch.zeros(()).expand(s) for k, s in b_shapes.items()}}, str(tmp_path / "b.pth"))
    with pytest.raises(CheckpointError, match=r"b\.pth.*'patch_embed4\.proj\.weight'.*\(640, 320, 1, 2, 2\)"
                                              r".*\(512, 320, 1, 2, 2\)"):
        load_checkpoint(str(tmp_path / "b.pth"), small, checkpoint_type="uniformer")
    # The real UniFormer-B has S's widths: only the depth tells them apart.
    with torch.device("meta"):
        b_real = UniFormer(num_classes=400, depth=UNIFORMER_DEPTHS["base"]).state_dict()
    torch.save({"model": {k: torch.zeros(()).expand(v.shape) for k, v in b_real.items()}}, str(tmp_path / "b2.pth"))
    with pytest.raises(CheckpointError, match=r"b2\.pth.*'blocks1' holds blocks 0\.\.4 in the file but 3.*blocks1\.3"):
        load_checkpoint(str(tmp_path / "b2.pth"), small, checkpoint_type="uniformer")
    torch.save({"model": {"patch_embed.proj.weight": torch.zeros(2)}}, str(tmp_path / "swin.pth"))
    with pytest.raises(CheckpointError, match=r"swin\.pth is not a UniFormer checkpoint"):
        load_checkpoint(str(tmp_path / "swin.pth"), small, checkpoint_type="uniformer")
