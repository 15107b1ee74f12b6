"""Video Swin Transformer (Liu et al., CVPR 2022), registered as ``VideoSwin``.

Parameter names follow the official backbone (``patch_embed``, ``layers.i.blocks.j``,
``layers.i.downsample``, ``norm``) with the classifier as ``head``; the checkpoint adapters only
rename prefixes (mmaction ``backbone.``/``cls_head.fc_cls.``, SV-Mix ``fc.``). The relative-position
tables are resized here, in ``adapt_checkpoint_state``, so any checkpoint type works with any window.
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn as nn
from fvcore.common.config import CfgNode

from svit.checkpoint import CheckpointError
from svit.config.sections import uses_config_sections
from svit.models.adapters.shape_check import report_path, require_matching_shapes
from svit.models.family_kwargs import family_kwargs
from svit.models.registry import MODEL_REGISTRY
from svit.models.swin.attention import ATTN_IMPLS, WindowAttention3D
from svit.models.swin.patch_embed import PatchEmbed3D
from svit.models.swin.rel_pos import infer_window, resize_table
from svit.models.swin.stage import SwinStage
from svit.models.tiny import tiny_size
from svit.models.vit_common import init_vit_weights, set_attn_impl_of

# Official sizes (embed_dim, depths, heads): T/S/B of the Video Swin paper.
VIDEO_SWIN_ARCHS = {
    "tiny": (96, (2, 2, 6, 2), (3, 6, 12, 24)),
    "small": (96, (2, 2, 18, 2), (3, 6, 12, 24)),
    "base": (128, (2, 2, 18, 2), (4, 8, 16, 32)),
}


class VideoSwin(nn.Module):
    """Patch embedding, four window-attention stages with patch merging, LayerNorm, pool, linear."""

    def __init__(
        self,
        num_classes: int = 400,
        in_chans: int = 3,
        patch_size: tuple[int, int, int] = (2, 4, 4),
        embed_dim: int = 96,
        depths: tuple[int, ...] = (2, 2, 6, 2),
        num_heads: tuple[int, ...] = (3, 6, 12, 24),
        window_size: tuple[int, int, int] = (8, 7, 7),
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        qk_scale: float | None = None,
        drop_rate: float = 0.0,
        attn_drop_rate: float = 0.0,
        drop_path_rate: float = 0.2,
        patch_norm: bool = True,
        head_dropout: float = 0.0,
        attn_impl: str = "sdpa",
    ) -> None:
        super().__init__()
        if len(depths) != len(num_heads):
            raise ValueError(f"depths {depths} and num_heads {num_heads} must have the same length")
        if len(window_size) != 3 or min(window_size) < 1:
            raise ValueError(f"window_size must be three positive ints, got {window_size}")
        self.window_size = tuple(int(w) for w in window_size)
        self.patch_embed = PatchEmbed3D(patch_size, in_chans, embed_dim, patch_norm)
        self.pos_drop = nn.Dropout(drop_rate)
        dpr = torch.linspace(0, drop_path_rate, sum(depths), device="cpu").tolist()
        self.layers = nn.ModuleList()
        for i, (depth, heads) in enumerate(zip(depths, num_heads)):
            start = sum(depths[:i])
            self.layers.append(
                SwinStage(
                    embed_dim * 2**i,
                    depth,
                    heads,
                    self.window_size,
                    dpr[start: start + depth],
                    downsample=i < len(depths) - 1,
                    mlp_ratio=mlp_ratio,
                    qkv_bias=qkv_bias,
                    qk_scale=qk_scale,
                    drop=drop_rate,
                    attn_drop=attn_drop_rate,
                    attn_impl=attn_impl,
                )
            )
        self.num_features = embed_dim * 2 ** (len(depths) - 1)
        self.norm = nn.LayerNorm(self.num_features)
        self.head_drop = nn.Dropout(head_dropout)
        self.head = nn.Linear(self.num_features, num_classes)
        self.apply(init_vit_weights)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, T, H, W)`` -> last-stage map after the final LayerNorm ``(B, C', T/2, H/32, W/32)``."""
        x = self.pos_drop(self.patch_embed(x))
        for layer in self.layers:
            x = layer(x)
        return self.norm(x).permute(0, 4, 1, 2, 3)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(self.head_drop(features.mean(dim=(2, 3, 4))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))

    def set_attn_impl(self, impl: str) -> None:
        """``sdpa`` (fused) or ``explicit`` window attention in every block (the same function)."""
        set_attn_impl_of(self, WindowAttention3D, impl, ATTN_IMPLS)

    def no_weight_decay(self) -> set[str]:
        return {n for n, _ in self.named_parameters() if n.endswith("relative_position_bias_table")}

    def set_grad_checkpointing(self, enable: bool = True) -> None:
        for layer in self.layers:
            layer.grad_checkpointing = enable

    set_activation_checkpointing = set_grad_checkpointing

    def adapt_svmix_state(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """SV-Mix ``VIDEO_SWIN`` names -> ours: only its classifier ``fc`` is our ``head``."""
        return {("head." + k[3:] if k.startswith("fc.") else k): v for k, v in state.items()}

    def adapt_checkpoint_state(self, state: dict[str, torch.Tensor], report: Any = None) -> dict[str, torch.Tensor]:
        """Drops rebuilt buffers, resizes relative-position tables to our window, refuses wrong sizes."""
        own = self.state_dict()
        # Sizes first (a Swin-B file in Swin-S is named as such), then the tables, which may differ.
        require_matching_shapes({k: v for k, v in state.items() if "relative_position" not in k}, self, report)
        out = {}
        for key, value in state.items():
            if key.endswith(("relative_position_index", "attn_mask")):
                if report is not None:
                    report.dropped.append((key, "integer/mask buffer rebuilt by the model"))
                continue
            if key.endswith("relative_position_bias_table") and key in own and value.shape != own[key].shape:
                want = own[key].shape
                src = infer_window(value.shape[0], self.window_size) if value.ndim == 2 else None
                if src is None or value.shape[1] != want[1]:
                    raise CheckpointError(
                        f"Checkpoint {report_path(report)}: '{key}' has shape {tuple(value.shape)}, which no "
                        f"(2Wd-1)(2Wh-1)(2Ww-1) x heads table resizes to the model's {tuple(want)} "
                        f"(window {self.window_size})."
                    )
                value = resize_table(value, src, self.window_size)
                if report is not None:
                    report.resampled.append((key, tuple(state[key].shape), tuple(value.shape)))
            out[key] = value
        return out


def swin_kwargs(cfg: CfgNode) -> dict:
    """Constructor kwargs from ``cfg.SWIN`` (+ MODEL.NUM_CLASSES, DROPOUT_RATE, ATTN_IMPL)."""
    s = cfg.SWIN
    crop = cfg.DATA.TRAIN_CROP_SIZE
    if crop % s.PATCH_SIZE[1] or crop % s.PATCH_SIZE[2]:
        raise ValueError(f"DATA.TRAIN_CROP_SIZE={crop} is not divisible by SWIN.PATCH_SIZE={list(s.PATCH_SIZE)}")
    return family_kwargs(cfg, "SWIN", {
        "patch_size": "PATCH_SIZE", "embed_dim": "EMBED_DIM", "depths": "DEPTHS", "num_heads": "NUM_HEADS",
        "window_size": "WINDOW_SIZE", "mlp_ratio": "MLP_RATIO", "qkv_bias": "QKV_BIAS", "drop_rate": "DROP_RATE",
        "attn_drop_rate": "ATTN_DROP_RATE", "drop_path_rate": "DROPPATH_RATE", "patch_norm": "PATCH_NORM",
    })


@MODEL_REGISTRY.register("VideoSwin")
@tiny_size([
    "SWIN.EMBED_DIM", 16,
    "SWIN.DEPTHS", [2, 2],
    "SWIN.NUM_HEADS", [1, 2],
    "SWIN.WINDOW_SIZE", [2, 4, 4],
], (2, 3, 4, 32, 32))
@uses_config_sections("SWIN")
def build_video_swin(cfg: CfgNode) -> VideoSwin:
    """Video Swin Transformer (shifted 3D windows; SWIN.* keys, e.g. Swin-S window 8x7x7 / 4x7x7)."""
    return VideoSwin(**swin_kwargs(cfg))
