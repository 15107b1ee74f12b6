"""The registered H2CN model: config wiring, input layout, segment counts, ImageNet init."""
from __future__ import annotations

import pytest
import torch
from torchvision.models.resnet import Bottleneck, ResNet

from svit.checkpoint import CheckpointError
from svit.config import get_cfg
from svit.models import build_model
from svit.models.h2cn.model import H2CN, imagenet_init
from svit.models.prepare import load_init_checkpoints


def _tiny_cfg(segments: int = 2, classes: int = 5):
    cfg = get_cfg()
    cfg.MODEL.MODEL_NAME = "H2CN"
    cfg.MODEL.NUM_CLASSES = classes
    cfg.DATA.NUM_FRAMES = segments
    cfg.DATA.FRAMES_PER_SEGMENT = 5
    cfg.H2CN.DEPTH = 26
    cfg.H2CN.BASE_WIDTH = 16
    return cfg


def test_build_from_config_and_forward_16_segments():
    torch.manual_seed(0)
    model = build_model(_tiny_cfg(segments=16, classes=7)).eval()
    assert isinstance(model, H2CN)
    assert model.backbone.layer1[0].cmcb.num_segments == 16
    x = torch.randn(2, 3, 16 * 5, 32, 32)
    with torch.no_grad():
        out = model(x)
    assert out.shape == (2, 7) and torch.isfinite(out).all()
    # The wrong frame count (e.g. a loader ignoring FRAMES_PER_SEGMENT) is refused, not reshaped.
    with pytest.raises(ValueError, match="expects 80 input frames"):
        model(torch.randn(1, 3, 16, 32, 32))


def test_config_snippet_mismatch_is_an_error():
    cfg = _tiny_cfg()
    cfg.DATA.FRAMES_PER_SEGMENT = 1
    with pytest.raises(ValueError, match="FRAMES_PER_SEGMENT"):
        build_model(cfg)


def test_segments_are_snippets_in_time_order():
    """Videos are independent, and segment order matters (temporal modelling, not a bag of frames)."""
    torch.manual_seed(0)
    model = build_model(_tiny_cfg(segments=3)).eval()
    with torch.no_grad():
        for m in model.modules():  # make the fusion and gates non-trivial
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_var.uniform_(0.5, 1.5)
        model.fc.weight.normal_(0, 1.0)
        x = torch.randn(2, 3, 15, 32, 32)
        out = model(x)
        single = model(x[1:])
        torch.testing.assert_close(out[1:], single, rtol=1e-4, atol=1e-5)
        swapped = x.view(2, 3, 3, 5, 32, 32)[:, :, [2, 1, 0]].reshape(2, 3, 15, 32, 32)
        assert not torch.allclose(model(swapped), out, atol=1e-4)


def test_imagenet_init_from_torchvision_state_dict(tmp_path):
    torch.manual_seed(0)
    resnet = ResNet(Bottleneck, [2, 2, 2, 2])  # torchvision names, depth-26 bottleneck layout
    path = tmp_path / "resnet26.pth"
    torch.save(resnet.state_dict(), path)
    cfg = _tiny_cfg()
    cfg.H2CN.BASE_WIDTH = 64
    cfg.CNN.IMAGENET_WEIGHTS = str(path)
    model = build_model(cfg)
    assert imagenet_init(cfg) == [(str(path), "h2cn_imagenet")]  # what a fresh run loads, through which adapter
    (report,) = load_init_checkpoints(cfg, model)
    assert ("backbone.motion.stem_conv.weight", (64, 3, 7, 7), (64, 9, 7, 7)) in report.resampled
    assert {k for k, _ in report.dropped} == {"fc.weight", "fc.bias"}
    bb = model.backbone
    torch.testing.assert_close(bb.layer3[1].conv2.weight, resnet.layer3[1].conv2.weight)
    torch.testing.assert_close(bb.layer4[0].downsample[1].running_var, resnet.layer4[0].downsample[1].running_var)
    torch.testing.assert_close(bb.conv1.weight, resnet.conv1.weight)
    # Motion stem: the RGB kernel's channel mean, copied to all 9 input channels (no rescaling).
    mean = resnet.conv1.weight.mean(dim=1, keepdim=True)
    torch.testing.assert_close(bb.motion.stem_conv.weight, mean.expand(-1, 9, -1, -1))
    # New modules keep their init: level-1 difference kernel (0, 1, -1), untouched classifier.
    w = bb.motion.level1.hgc.temporal.weight[:, 0, :, 0, 0]
    assert w.tolist() == [[0.0, 1.0, -1.0]] * 3
    assert model.fc.weight.std().item() < 0.01
    # A ResNet of another width is refused instead of being half-loaded.
    cfg.H2CN.BASE_WIDTH = 32
    with pytest.raises(CheckpointError, match="resnet26.pth.*shape"):
        load_init_checkpoints(cfg, build_model(cfg))
