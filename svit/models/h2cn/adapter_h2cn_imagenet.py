"""Checkpoint adapter ``h2cn_imagenet``: a torchvision ResNet state dict -> the H2CN backbone.

The original downloads torchvision's ResNet-50 while building and builds a second ResNet only to
read its conv1 for the motion stem. Here the local file goes through ``load_checkpoint``: ResNet
names (``conv1``, ``bn1``, ``layerK.*``) move under ``backbone.``, the ImageNet classifier is
dropped, and the motion stem's 9-channel kernel is derived from the loaded conv1 (its mean over
the RGB channels copied to all 9 inputs, TSN's cross-modality init; recorded in
``report.resampled``). Modules ImageNet lacks (CMCBs, FMCB, conv biases, our classifier) keep
their init. A shape mismatch raises: a ResNet of another depth/width is never half-loaded.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from svit.checkpoint import CheckpointError, LoadReport
from svit.models.adapters.imagenet import drop_imagenet_heads, require_same_shapes
from svit.models.adapters.registry import ADAPTER_REGISTRY
from svit.models.adapters.unwrap import strip_prefixes, unwrap_checkpoint

STEM_KEY = "backbone.motion.stem_conv.weight"


@ADAPTER_REGISTRY.register("h2cn_imagenet")
def adapt_h2cn_imagenet(
    state: dict[str, torch.Tensor], model: nn.Module, report: LoadReport
) -> dict[str, torch.Tensor]:
    """torchvision ResNet weights -> ``backbone.*`` of an H2CN model, motion stem derived from conv1."""
    sd = drop_imagenet_heads(strip_prefixes(unwrap_checkpoint(state)), report)
    own = model.state_dict()
    out: dict[str, torch.Tensor] = {}
    for key, value in sd.items():
        name = "backbone." + key
        if key.startswith("motion.") or name not in own:
            report.dropped.append((key, "no counterpart in the H2CN backbone"))
            continue
        out[name] = value
    if "backbone.conv1.weight" not in out:
        raise CheckpointError(f"ImageNet weights {report.path}: no torchvision ResNet 'conv1.weight' inside")
    require_same_shapes(out, model, report)
    rgb = out["backbone.conv1.weight"]
    stem = rgb.mean(dim=1, keepdim=True).expand_as(own[STEM_KEY]).clone()
    out[STEM_KEY] = stem
    report.resampled.append((STEM_KEY, tuple(rgb.shape), tuple(stem.shape)))
    return out
