"""Video Swin: interface, SDPA vs explicit attention, bf16, activation checkpointing, window rules,
sizes, FLOPs and bad input."""
import pytest
import torch
from backbone_helpers import rel

from svit.config.defaults import get_cfg
from svit.models import build_model
from svit.models.swin import VIDEO_SWIN_ARCHS, VideoSwin
from svit.models.swin.rel_pos import relative_position_index
from svit.models.swin.windows import clip_window, shift_mask
from svit.utils.flops import gflops


def tiny(**kw) -> VideoSwin:
    args = dict(num_classes=5, embed_dim=16, depths=(2, 2), num_heads=(1, 2), window_size=(2, 3, 3),
                drop_path_rate=0.0)
    args.update(kw)
    torch.manual_seed(0)
    return VideoSwin(**args)


def test_interface_shapes_and_no_weight_decay():
    m = tiny().eval()
    x = torch.randn(2, 3, 8, 32, 32)
    f = m.forward_features(x)
    assert f.shape == (2, 32, 4, 4, 4)
    assert torch.equal(m.forward_head(f), m(x)) and m(x).shape == (2, 5)
    nwd = m.no_weight_decay()
    names = dict(m.named_parameters())
    assert nwd and all(n in names and n.endswith("relative_position_bias_table") for n in nwd)


@pytest.mark.parametrize("shape", [(1, 3, 8, 32, 32), (2, 3, 5, 24, 40), (1, 3, 2, 12, 12)])
def test_sdpa_equals_explicit(shape):
    m = tiny().eval()
    x = torch.randn(*shape)
    with torch.no_grad():
        a = m(x)
        for mod in m.modules():
            if hasattr(mod, "attn_impl"):
                mod.attn_impl = "explicit"
        b = m(x)
    assert rel(a, b) < 1e-5


def test_shifted_windows_change_the_output():
    """The odd blocks really shift: disabling the shift changes the result."""
    m = tiny().eval()
    x = torch.randn(1, 3, 8, 24, 24)
    with torch.no_grad():
        a = m(x)
        for stage in m.layers:
            for blk in stage.blocks:
                blk.shift_size = (0, 0, 0)
        b = m(x)
    assert rel(a, b) > 1e-3


def test_window_rules_follow_the_original():
    assert clip_window((8, 7, 7), (4, 7, 7), (2, 3, 3)) == ((4, 7, 7), (2, 0, 0))
    assert clip_window((8, 4, 4), (4, 7, 7), (2, 3, 3)) == ((4, 4, 4), (2, 0, 0))
    mask = shift_mask((4, 6, 6), (2, 3, 3), (1, 1, 1), torch.device("cpu"))
    assert mask.shape == (2 * 2 * 2, 18, 18)
    assert set(mask.unique().tolist()) == {0.0, -100.0}
    assert torch.all(mask[0] == 0)  # the first window holds a single region
    idx = relative_position_index((2, 3, 3))
    assert idx.shape == (18, 18) and idx.min() == 0 and idx.max() == 3 * 5 * 5 - 1
    assert torch.all(idx.diagonal() == idx[0, 0])  # zero offset maps to one row


def test_bf16_autocast_runs_close_to_fp32():
    m = tiny().eval()
    x = torch.randn(1, 3, 4, 24, 24)
    with torch.no_grad():
        ref = m(x)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out = m(x)
    assert torch.isfinite(out).all() and rel(out.float(), ref) < 0.05


def test_activation_checkpointing_gives_equal_gradients():
    x = torch.randn(2, 3, 4, 24, 24)
    grads = []
    for flag in (False, True):
        m = tiny()
        m.set_grad_checkpointing(flag)
        m(x).sum().backward()
        grads.append(torch.cat([p.grad.flatten() for p in m.parameters()]))
    assert rel(grads[1], grads[0]) < 1e-5


@pytest.mark.parametrize("frames,crop,classes", [(6, 32, 3), (16, 56, 10), (3, 28, 7)])
def test_other_frame_counts_crops_and_classes(frames, crop, classes):
    m = tiny(num_classes=classes).eval()
    with torch.no_grad():
        out = m(torch.randn(1, 3, frames, crop, crop))
    assert out.shape == (1, classes) and torch.isfinite(out).all()


def test_crop_not_divisible_by_patch_is_refused():
    m = tiny().eval()
    with pytest.raises(ValueError, match=r"30x30.*patch 4x4"):
        m(torch.randn(1, 3, 4, 30, 30))
    cfg = get_cfg()
    cfg.MODEL.MODEL_NAME = "VideoSwin"
    cfg.DATA.TRAIN_CROP_SIZE = 222
    with pytest.raises(ValueError, match="DATA.TRAIN_CROP_SIZE=222"):
        build_model(cfg)


def _count(**kw) -> int:
    with torch.device("meta"):
        return sum(p.numel() for p in VideoSwin(**kw).parameters())


def test_published_sizes():
    e, d, h = VIDEO_SWIN_ARCHS["small"]
    n = _count(num_classes=400, embed_dim=e, depths=d, num_heads=h, window_size=(8, 7, 7))
    assert round(n / 1e6, 1) == 49.8  # Swin-S K400 (official 8x7x7)
    assert _count(num_classes=174, embed_dim=e, depths=d, num_heads=h, window_size=(4, 7, 7)) == 49_261_620
    assert round(_count(num_classes=400, **dict(zip(("embed_dim", "depths", "num_heads"),
                                                      VIDEO_SWIN_ARCHS["tiny"]))) / 1e6) == 28
    assert round(_count(num_classes=400, **dict(zip(("embed_dim", "depths", "num_heads"),
                                                      VIDEO_SWIN_ARCHS["base"]))) / 1e6) == 88


def test_builder_reads_config_and_flops_count_sdpa():
    cfg = get_cfg()
    cfg.MODEL.MODEL_NAME = "VideoSwin"
    cfg.MODEL.NUM_CLASSES = 7
    cfg.DATA.TRAIN_CROP_SIZE = cfg.DATA.TEST_CROP_SIZE = 32
    cfg.DATA.NUM_FRAMES = 4
    cfg.SWIN.EMBED_DIM, cfg.SWIN.DEPTHS, cfg.SWIN.NUM_HEADS = 16, [2, 2], [1, 2]
    cfg.SWIN.WINDOW_SIZE = [2, 3, 3]
    m = build_model(cfg)
    assert m.head.out_features == 7 and m.window_size == (2, 3, 3)
    x = torch.zeros(1, 3, 4, 32, 32)
    fused = gflops(m, x)
    cfg.MODEL.ATTN_IMPL = "explicit"
    explicit = gflops(build_model(cfg), x)
    assert fused > 0 and abs(fused - explicit) / explicit < 1e-6
