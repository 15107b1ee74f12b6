"""Grad-CAM (grad-cam library) points at what the model reads."""
from __future__ import annotations

import sys

import numpy as np
import pytest
import torch
import torch.nn as nn

from svit.vis.gradcam import FeatureHead, GradCamMissing, gradcam


class OnePixelNet(nn.Module):
    """Features are the clip itself with everything but pixel (t, y, x) masked out; the logits read
    that pixel's channels. The class evidence lives at one place only."""

    def __init__(self, t: int, y: int, x: int, shape=(4, 16, 16)) -> None:
        super().__init__()
        mask = torch.zeros(1, 1, *shape)
        mask[..., t, y, x] = 1.0
        self.register_buffer("mask", mask)
        self.gain = nn.Parameter(torch.ones(()))  # a trained feature layer: its map carries gradients
        self.fc = nn.Linear(3, 2)
        with torch.no_grad():
            self.fc.weight.copy_(torch.tensor([[1.0, 1.0, 1.0], [-1.0, -1.0, -1.0]]))
            self.fc.bias.zero_()

    def forward_features(self, x):
        return self.gain * x * self.mask

    def forward_head(self, f):
        return self.fc(f.sum((2, 3, 4)))


def test_gradcam_of_a_one_pixel_model_peaks_at_that_pixel():
    pytest.importorskip("pytorch_grad_cam")
    net = OnePixelNet(2, 5, 11)
    x = torch.rand(1, 3, 4, 16, 16) + 0.5
    cam, logits = gradcam(net, x, classes=[0])
    assert cam.shape == (1, 4, 16, 16)
    assert np.unravel_index(cam[0].argmax(), cam[0].shape) == (2, 5, 11)
    assert cam[0, 2, 5, 11] == pytest.approx(1.0)
    assert cam[0].sum() == pytest.approx(1.0, abs=1e-4)  # nothing anywhere else
    assert torch.allclose(logits, net.forward_head(net.forward_features(x)))


def test_feature_head_wrapper_gives_the_models_logits():
    from svit.config import load_config
    from svit.models import build_model

    from .conftest import CONFIGS

    cfg = load_config(str(CONFIGS / "tsm_tiny.yaml"), ["DATA.NUM_FRAMES", "4"])
    net = build_model(cfg).eval()
    x = torch.randn(1, 3, 4, 32, 32)
    with torch.no_grad():
        assert torch.allclose(FeatureHead(net)(x), net(x), atol=1e-5)


def test_missing_library_names_the_pip_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "pytorch_grad_cam", None)
    with pytest.raises(GradCamMissing, match="pip install grad-cam"):
        gradcam(OnePixelNet(0, 0, 0), torch.rand(1, 3, 4, 16, 16))
