"""The backbone features SV-Mix feeds to its selective module: the last-stage map of the clean clip.

Read through each family's own interface, never keyed on the model's name, and ``C`` comes from the
map itself:

* a model with ``forward_feature_pair(x) -> (map (B,C,T',H',W'), tokens (B,C,T'))`` (ViViT): the
  spatial patch-token map plus the temporal-encoder frame tokens used by the temporal mode;
* every other family: ``forward_features(x) -> (B, C, T', H', W')`` (TSM: layer4 per frame, R(2+1)D:
  layer4, Video Swin: after the final LayerNorm, UniFormer: after the final BatchNorm3d, MViT: the last
  block's patch tokens *before* the final norm on the model's own token grid, where the original
  guessed T' = T/2 and a square grid).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch.nn as nn
from torch import Tensor


@dataclass
class ClipFeatures:
    """``spatial`` ``(B, C, T_f, H_f, W_f)`` and, for ViViT, ``temporal`` ``(B, C, T_f)`` tokens."""

    spatial: Tensor
    temporal: Tensor | None = None

    def detach(self) -> "ClipFeatures":
        return ClipFeatures(self.spatial.detach(), None if self.temporal is None else self.temporal.detach())


def unwrap(model: nn.Module) -> nn.Module:
    """The bare model inside a DistributedDataParallel (or similar ``.module``) wrapper."""
    return model.module if isinstance(getattr(model, "module", None), nn.Module) else model


def clip_features(model: nn.Module, x: Tensor) -> ClipFeatures:
    """Feature map (and temporal tokens where the family has them) of clips ``x`` ``(B, C, T, H, W)``."""
    net = unwrap(model)
    if hasattr(net, "forward_feature_pair"):
        spatial, temporal = net.forward_feature_pair(x)
        return ClipFeatures(spatial, temporal)
    if not hasattr(net, "forward_features"):
        raise TypeError(f"SV-Mix needs {type(net).__name__}.forward_features(x) -> (B, C, T', H', W')")
    feats = net.forward_features(x)
    if not isinstance(feats, Tensor) or feats.dim() != 5:
        shape = tuple(feats.shape) if isinstance(feats, Tensor) else type(feats).__name__
        raise ValueError(f"{type(net).__name__}.forward_features must return (B, C, T', H', W'), got {shape}")
    return ClipFeatures(feats)
