"""Video Swin checkpoints: official mmaction names (strict), window resizing, ImageNet 2D inflation,
and the errors for a wrong size or an unresizable table."""
import pytest
import torch
import torch.nn.functional as F
from fixture_weights import fixture_state_dict
from swin_keys import imagenet_swin_keys, official_videoswin_keys

from svit.checkpoint import CheckpointError, load_checkpoint
from svit.models.swin import VIDEO_SWIN_ARCHS, VideoSwin

SMALL = dict(embed_dim=16, depths=(2, 2), num_heads=(1, 2))


def _save(keys, path, wrap="state_dict"):
    sd = fixture_state_dict(keys, "B")
    torch.save({wrap: sd, "meta": {"epoch": 30}}, str(path))
    return sd


def test_official_key_list_is_the_svmix_original_backbone(fixtures_dir):
    """The generator reproduces the original class's keys (SV-Mix copy of SwinTransformer3D, 4x7x7)."""
    fx = torch.load(fixtures_dir / "svmix" / "svmix_swin_s_t16_112.pt", weights_only=True)
    e, d, h = VIDEO_SWIN_ARCHS["small"]
    ours = {k.removeprefix("backbone."): (tuple(s), t) for k, s, t in official_videoswin_keys(e, d, h, (4, 7, 7), 11)
            if not k.startswith("cls_head.")}
    theirs = {k: (tuple(s), t) for k, s, t in fx["keys"] if not k.startswith("fc.")}
    assert ours == theirs


def test_official_checkpoint_loads_strictly(tmp_path):
    keys = official_videoswin_keys(16, (2, 2), (1, 2), (8, 7, 7), 400)
    sd = _save(keys, tmp_path / "swin_tiny_patch244_window877_kinetics400_1k.pth")
    model = VideoSwin(num_classes=400, window_size=(8, 7, 7), **SMALL)
    report = load_checkpoint(str(tmp_path / "swin_tiny_patch244_window877_kinetics400_1k.pth"), model,
                             strict=True, checkpoint_type="videoswin")
    assert not report.resampled and len(report.dropped) == 4  # the four integer index buffers
    assert torch.equal(model.head.weight, sd["cls_head.fc_cls.weight"])
    assert torch.equal(model.layers[1].blocks[1].attn.qkv.weight, sd["backbone.layers.1.blocks.1.attn.qkv.weight"])


def test_window_877_checkpoint_into_447_model_is_resized_like_svmix(tmp_path):
    keys = official_videoswin_keys(16, (2, 2), (1, 2), (8, 7, 7), 400)
    sd = _save(keys, tmp_path / "k400.pth")
    model = VideoSwin(num_classes=174, window_size=(4, 7, 7), **SMALL)
    report = load_checkpoint(str(tmp_path / "k400.pth"), model, checkpoint_type="videoswin")
    assert len(report.resampled) == 4 and sorted(s[0] for s in report.skipped) == ["head.bias", "head.weight"]
    src = sd["backbone.layers.0.blocks.1.attn.relative_position_bias_table"]  # (15*13*13, 1)
    # SV-Mix's transfer_weights: the table as a (heads, 2*8-1, 169) image, bicubic to (2*4-1, 169).
    expected = F.interpolate(src.t().reshape(1, 1, 15, 169), size=(7, 169), mode="bicubic").reshape(1, -1).t()
    got = model.layers[0].blocks[1].attn.relative_position_bias_table
    assert got.shape == (7 * 169, 1) and torch.allclose(got, expected, atol=1e-6)
    assert not torch.allclose(got, src[: 7 * 169])


def test_imagenet_swin_2d_is_inflated(tmp_path):
    keys = imagenet_swin_keys(16, (2, 2), (1, 2), window=7)
    sd = _save(keys, tmp_path / "swin_tiny_patch4_window7_224.pth", wrap="model")
    model = VideoSwin(num_classes=10, window_size=(8, 7, 7), **SMALL)
    report = load_checkpoint(str(tmp_path / "swin_tiny_patch4_window7_224.pth"), model, checkpoint_type="videoswin")
    assert set(report.missing) == {"head.weight", "head.bias"}
    assert not report.unexpected and not report.skipped
    dropped = {k for k, _ in report.dropped}
    assert {"head.weight", "head.bias", "layers.0.blocks.1.attn_mask"} <= dropped
    k2d = sd["patch_embed.proj.weight"]
    k3d = model.patch_embed.proj.weight
    assert k3d.shape == (16, 3, 2, 4, 4) and torch.allclose(k3d.sum(2), k2d, atol=1e-6)
    table = model.layers[1].blocks[0].attn.relative_position_bias_table.detach().view(15, 169, 2)
    assert torch.allclose(table, sd["layers.1.blocks.0.attn.relative_position_bias_table"].expand(15, 169, 2),
                          atol=1e-6)  # the 2D table repeated over the temporal offsets


def _expanded_file(keys, path):
    """Correct shapes at no storage cost (stride-0 tensors) for size-mismatch tests."""
    sd = {k: torch.zeros((), dtype=getattr(torch, t[6:])).expand(s) for k, s, t in keys}
    torch.save({"state_dict": sd}, str(path))
    return str(path)


def test_swin_b_file_into_swin_s_is_refused(tmp_path):
    e, d, h = VIDEO_SWIN_ARCHS["base"]
    path = _expanded_file(official_videoswin_keys(e, d, h, (8, 7, 7), 400), tmp_path / "swin_base_877.pth")
    with torch.device("meta"):
        e, d, h = VIDEO_SWIN_ARCHS["small"]
        model = VideoSwin(num_classes=400, embed_dim=e, depths=d, num_heads=h, window_size=(8, 7, 7))
    with pytest.raises(CheckpointError, match=r"swin_base_877\.pth.*'patch_embed\.proj\.weight'.*\(128, 3, 2, 4, 4\)"
                                              r".*\(96, 3, 2, 4, 4\)"):
        load_checkpoint(path, model, checkpoint_type="videoswin")
    e, d, h = VIDEO_SWIN_ARCHS["tiny"]  # same widths as Swin-S, 6 instead of 18 blocks in stage 3
    path = _expanded_file(official_videoswin_keys(e, d, h, (8, 7, 7), 400), tmp_path / "swin_tiny_877.pth")
    with pytest.raises(CheckpointError, match=r"swin_tiny_877\.pth.*'layers\.2\.blocks' holds blocks 0\.\.5 in the "
                                              r"file but 18 in the model"):
        load_checkpoint(path, model, checkpoint_type="videoswin")


def test_table_that_no_window_fits_is_refused(tmp_path):
    keys = official_videoswin_keys(16, (2, 2), (1, 2), (8, 7, 7), 400)
    sd = fixture_state_dict(keys)
    bad = "backbone.layers.1.blocks.0.attn.relative_position_bias_table"
    sd[bad] = torch.zeros(1000, 2)
    torch.save({"state_dict": sd}, str(tmp_path / "odd.pth"))
    model = VideoSwin(num_classes=400, window_size=(4, 7, 7), **SMALL)
    with pytest.raises(CheckpointError, match=r"odd\.pth.*layers\.1\.blocks\.0\.attn\.relative_position_bias_table"
                                              r".*\(1000, 2\).*\(1183, 2\)"):
        load_checkpoint(str(tmp_path / "odd.pth"), model, checkpoint_type="videoswin")
    sd[bad] = torch.zeros(2535, 3)  # right window, wrong head count
    torch.save({"state_dict": sd}, str(tmp_path / "heads.pth"))
    with pytest.raises(CheckpointError, match=r"heads\.pth.*\(2535, 3\)"):
        load_checkpoint(str(tmp_path / "heads.pth"), model, checkpoint_type="videoswin")


def test_other_family_file_is_refused(tmp_path):
    torch.save({"model": {"patch_embed1.proj.weight": torch.zeros(64, 3, 3, 4, 4)}}, str(tmp_path / "uni.pth"))
    with pytest.raises(CheckpointError, match=r"uni\.pth is not a \(Video\) Swin checkpoint"):
        load_checkpoint(str(tmp_path / "uni.pth"), VideoSwin(**SMALL), checkpoint_type="videoswin")
