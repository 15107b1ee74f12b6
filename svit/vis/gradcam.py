"""Grad-CAM for the CNN families through the maintained ``grad-cam`` library (pytorch-grad-cam).

Every family splits its forward into ``forward_features(x) -> (B, C, T', H', W')`` and
``forward_head(map) -> logits`` (the interface SV-Mix reads), so one wrapper serves them all: the
map passes through an identity module that is Grad-CAM's target layer, and the library weights the
map's channels by their mean gradient for the class and upsamples the result to the clip
``(T, H, W)``. The library is an optional extra (``pip install -e ".[vis]"`` or ``pip install grad-cam``).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
from torch import Tensor

from svit.engine.tasks.base import logits_of

INSTALL_HINT = 'pip install grad-cam   (or: pip install -e ".[vis]")'


class GradCamMissing(ImportError):
    """The grad-cam package is not installed."""


class FeatureHead(nn.Module):
    """``net.forward_head(features(net.forward_features(x)))`` with ``features`` an identity module
    for Grad-CAM's hooks; returns the class logits as a tensor."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        if not (hasattr(net, "forward_features") and hasattr(net, "forward_head")):
            raise TypeError(f"{type(net).__name__} has no forward_features/forward_head: no Grad-CAM")
        self.net = net
        self.features = nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        return logits_of(self.net.forward_head(self.features(self.net.forward_features(x))))


def gradcam(net: nn.Module, x: Tensor, classes: list[int] | None = None) -> tuple[np.ndarray, Tensor]:
    """``(cam (B, T, H, W) in [0, 1], logits)`` for ``classes`` (default: each clip's top class)."""
    try:
        from pytorch_grad_cam import GradCAM
        from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
    except ImportError as exc:
        raise GradCamMissing(f"Grad-CAM needs the grad-cam package: {INSTALL_HINT}") from exc
    model = FeatureHead(net).eval()
    with torch.no_grad():
        logits = model(x)
    if classes is None:
        classes = logits.argmax(-1).tolist()
    with GradCAM(model=model, target_layers=[model.features]) as cam:
        maps = cam(input_tensor=x, targets=[ClassifierOutputTarget(int(c)) for c in classes])
    return np.asarray(maps, np.float32), logits
