"""The registered ``H2CN`` model: TSN-style wrapper around the H2CN backbone.

Input is svit's clip layout ``(B, 3, T*L, H, W)`` with the frames ordered segment-major: frames
``s*L .. s*L+L-1`` form the snippet of segment ``s`` (``T = DATA.NUM_FRAMES`` segments,
``L = DATA.FRAMES_PER_SEGMENT = H2CN.SNIPPET_LEN`` = 5 consecutive frames). The middle frame of each
snippet is the key frame for the appearance stream, all L frames feed the motion branch. Every
segment is classified (global average pool, dropout, linear) and the logits are averaged over the
T segments; no softmax (the evaluator applies it).
"""
from __future__ import annotations

import torch.nn as nn
from fvcore.common.config import CfgNode
from torch import Tensor

from svit.config.sections import uses_config_sections
from svit.models.build import with_init_checkpoints
from svit.models.cnn.convention import CNNConvention, frames_to_video
from svit.models.h2cn.backbone import H2CNBackbone
from svit.models.registry import MODEL_REGISTRY
from svit.models.tiny import tiny_size


class H2CN(CNNConvention, nn.Module):
    """H2CN video classifier (see the module docstring for the input layout)."""

    def __init__(
        self,
        num_classes: int,
        num_segments: int = 8,
        snippet_len: int = 5,
        depth: int = 50,
        base_width: int = 64,
        dropout_rate: float = 0.5,
        shift_div: int = 8,
        reduction: int = 16,
        motion_weight: float = 0.5,
    ) -> None:
        super().__init__()
        self.num_segments = num_segments
        self.snippet_len = snippet_len
        self.backbone = H2CNBackbone(
            num_segments, depth, base_width, snippet_len, shift_div, reduction, motion_weight
        )
        self.dropout = nn.Dropout(dropout_rate) if dropout_rate > 0 else nn.Identity()
        self.fc = nn.Linear(self.backbone.out_channels, num_classes)
        nn.init.normal_(self.fc.weight, 0.0, 0.001)
        nn.init.zeros_(self.fc.bias)

    def forward_features(self, x: Tensor) -> Tensor:
        """``x`` (B, C, T*L, H, W) -> last-stage map (B, C', T, H', W'), one time step per segment."""
        b, c, frames, h, w = x.shape
        t, l = self.num_segments, self.snippet_len
        if frames != t * l:
            raise ValueError(
                f"H2CN built for {t} segments x {l} frames expects {t * l} input frames, got {frames} "
                "(DATA.NUM_FRAMES is the segment count, DATA.FRAMES_PER_SEGMENT the snippet length)"
            )
        snippets = x.transpose(1, 2).reshape(b * t, l, c, h, w)
        key = snippets[:, l // 2]
        feats = self.backbone.stem(key, snippets)
        for stage in self.backbone.stages():
            feats = self.run_stage(stage, feats)
        return frames_to_video(feats, b)

    def forward_head(self, features: Tensor) -> Tensor:
        """Every segment classified (spatial mean, dropout, linear), logits averaged over segments."""
        pooled = features.mean(dim=(3, 4)).transpose(1, 2)  # (B, T, C)
        return self.fc(self.dropout(pooled)).mean(dim=1)


def imagenet_init(cfg: CfgNode) -> list[tuple[str, str]]:
    """ImageNet ResNet (``H2CN.IMAGENET_WEIGHTS``, else ``CNN.IMAGENET_WEIGHTS``) through the
    ``h2cn_imagenet`` adapter at the start of a fresh training run."""
    path = cfg.H2CN.IMAGENET_WEIGHTS or cfg.CNN.IMAGENET_WEIGHTS
    return [(path, "h2cn_imagenet")] if path else []


@MODEL_REGISTRY.register("H2CN")
@tiny_size([
    "H2CN.DEPTH", 26,
    "H2CN.BASE_WIDTH", 16,
    "H2CN.SNIPPET_LEN", 5,
    "DATA.FRAMES_PER_SEGMENT", 5,
], (2, 3, 2 * 5, 16, 16))
@uses_config_sections("H2CN")
@with_init_checkpoints(imagenet_init)
def build_h2cn(cfg: CfgNode) -> H2CN:
    """Builds H2CN from ``cfg`` (segments = DATA.NUM_FRAMES, snippet = H2CN.SNIPPET_LEN)."""
    snippet = int(cfg.H2CN.SNIPPET_LEN)
    per_segment = int(cfg.DATA.FRAMES_PER_SEGMENT)
    if per_segment != snippet:
        raise ValueError(
            f"H2CN needs DATA.FRAMES_PER_SEGMENT == H2CN.SNIPPET_LEN (got {per_segment} and {snippet}): "
            "the loader must deliver the whole snippet of every segment"
        )
    return H2CN(
        num_classes=int(cfg.MODEL.NUM_CLASSES),
        num_segments=int(cfg.DATA.NUM_FRAMES),
        snippet_len=snippet,
        depth=int(cfg.H2CN.DEPTH),
        base_width=int(cfg.H2CN.BASE_WIDTH),
        dropout_rate=float(cfg.MODEL.DROPOUT_RATE),
        shift_div=int(cfg.H2CN.SHIFT_DIV),
        reduction=int(cfg.H2CN.REDUCTION),
        motion_weight=float(cfg.H2CN.MOTION_WEIGHT),
    )
