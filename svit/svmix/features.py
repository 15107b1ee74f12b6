"""The backbone features SV-Mix feeds to its selective module: the last-stage map of the clean clip.

Read through each family's own interface, never keyed on the model's name, and ``C`` comes from the
map itself:

* a model with ``forward_feature_pair(x) -> (map (B,C,T',H',W'), tokens (B,C,T'))`` (ViViT): the
  spatial patch-token map plus the temporal-encoder frame tokens used by the temporal mode;
* MViT: the last block's patch tokens *before* the final norm (what the SV-Mix MViT uses), reshaped on
  the model's own token grid (the original guessed T' = T/2 and a square grid);
* every other family: ``forward_features(x) -> (B, C, T', H', W')`` (TSM: layer4 per frame, R(2+1)D:
  layer4, Video Swin: after the final LayerNorm, UniFormer: after the final BatchNorm3d).
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


def mvit_prenorm_map(net: nn.Module, x: Tensor) -> Tensor:
    """MViT's last-block patch tokens before the final norm as ``(B, C, T', H', W')``."""
    from svit.models.mvit.model import as_video

    tokens, thw = net.forward_tokens(*net.embed(as_video(x)))
    if net.cls_embed_on:
        tokens = tokens[:, 1:]
    t, h, w = thw
    b, n, c = tokens.shape
    if n < t * h * w:
        raise ValueError(f"MViT returned {n} patch tokens for a {t}x{h}x{w} grid")
    return tokens[:, : t * h * w].reshape(b, t, h, w, c).permute(0, 4, 1, 2, 3)


def clip_features(model: nn.Module, x: Tensor) -> ClipFeatures:
    """Feature map (and temporal tokens where the family has them) of clips ``x`` ``(B, C, T, H, W)``."""
    from svit.models.mvit.model import MViT

    net = unwrap(model)
    if hasattr(net, "forward_feature_pair"):
        spatial, temporal = net.forward_feature_pair(x)
        return ClipFeatures(spatial, temporal)
    if isinstance(net, MViT):
        return ClipFeatures(mvit_prenorm_map(net, x))
    if not hasattr(net, "forward_features"):
        raise TypeError(f"SV-Mix needs {type(net).__name__}.forward_features(x) -> (B, C, T', H', W')")
    feats = net.forward_features(x)
    if not isinstance(feats, Tensor) or feats.dim() != 5:
        shape = tuple(feats.shape) if isinstance(feats, Tensor) else type(feats).__name__
        raise ValueError(f"{type(net).__name__}.forward_features must return (B, C, T', H', W'), got {shape}")
    return ClipFeatures(feats)
