"""ViViT factorised encoder as SV-Mix defines it (SV-Mix, Tan et al., arXiv 2309.09534;
github.com/ty-97/Seletive-Volume-Mix), registered as ``ViViT``.

A 12-block spatial ViT with a class token and 2D position embedding runs on each temporal index of
2x16x16 tubelets; the per-frame class tokens and a temporal class token go through 4 temporal
blocks; the final LayerNorm of the temporal class token feeds the classifier. The temporal position
embedding exists (SV-Mix checkpoints carry it) but is added only with ``temporal_pos_embed=True``:
the original never adds it. Names are SV-Mix's (timm ViT names for the spatial part) with the
classifier ``fc`` called ``head``.

Interface note: the logits come from class tokens that the patch map does not hold. So
``forward_features`` returns the spatial patch map (what SV-Mix consumes) carrying the per-frame
class tokens as the attribute ``frame_tokens`` (B, C, T'), and ``forward_head`` accepts that map
(``forward_head(forward_features(x)) == forward(x)``) or the ``(B, C, T')`` tokens themselves;
``forward_feature_pair`` gives SV-Mix's pair.
"""
from __future__ import annotations

from functools import partial
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F
from fvcore.common.config import CfgNode
from timm.layers import resample_abs_pos_embed, trunc_normal_
from timm.models.vision_transformer import Block

from svit.config.sections import uses_config_sections
from svit.models.adapters.shape_check import require_matching_shapes
from svit.models.registry import MODEL_REGISTRY
from svit.models.tiny import tiny_size
from svit.models.vit_common import TimmBlockModel, init_vit_weights
from svit.models.vivit.embed import TubeletEmbed


class ViViT(TimmBlockModel):
    """Factorised-encoder ViViT for clips ``(B, C, T, H, W)``."""

    def __init__(
        self,
        num_classes: int = 400,
        img_size: int = 224,
        num_frames: int = 16,
        patch_size: int = 16,
        tubelet: int = 2,
        in_chans: int = 3,
        embed_dim: int = 384,
        depth: int = 12,
        temporal_depth: int = 4,
        num_heads: int = 6,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        drop_rate: float = 0.0,
        attn_drop_rate: float = 0.0,
        drop_path_rate: float = 0.2,
        head_dropout: float = 0.0,
        temporal_pos_embed: bool = False,
        attn_impl: str = "sdpa",
    ) -> None:
        super().__init__()
        if img_size % patch_size:
            raise ValueError(f"ViViT: img_size {img_size} is not divisible by patch_size {patch_size}")
        self.grid = img_size // patch_size
        self.add_temporal_pos = temporal_pos_embed
        self.patch_embed = TubeletEmbed(patch_size, tubelet, in_chans, embed_dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.tcls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, self.grid**2 + 1, embed_dim))
        self.tpos_embed = nn.Parameter(torch.zeros(1, num_frames + 1, embed_dim))
        self.pos_drop = nn.Dropout(drop_rate)
        dpr = torch.linspace(0, drop_path_rate, depth + temporal_depth, device="cpu").tolist()
        block = partial(
            Block, dim=embed_dim, num_heads=num_heads, mlp_ratio=mlp_ratio, qkv_bias=qkv_bias, proj_drop=drop_rate,
            attn_drop=attn_drop_rate, norm_layer=partial(nn.LayerNorm, eps=1e-6), act_layer=nn.GELU,
        )
        self.blocks = nn.ModuleList(block(drop_path=dpr[i]) for i in range(depth))
        self.tblocks = nn.ModuleList(block(drop_path=dpr[depth + i]) for i in range(temporal_depth))
        self.norm = nn.LayerNorm(embed_dim, eps=1e-6)
        self.num_features = embed_dim
        self.head_drop = nn.Dropout(head_dropout)
        self.head = nn.Linear(embed_dim, num_classes)
        self.grad_checkpointing = False
        for p in (self.pos_embed, self.tpos_embed, self.cls_token, self.tcls_token):
            trunc_normal_(p, std=0.02)
        self.apply(init_vit_weights)
        self.set_attn_impl(attn_impl)

    def _pos_embed(self, grid: tuple[int, int]) -> torch.Tensor:
        if grid == (self.grid, self.grid):
            return self.pos_embed
        return resample_abs_pos_embed(self.pos_embed, list(grid), [self.grid, self.grid], num_prefix_tokens=1)

    def forward_spatial(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Spatial encoder: ``(patch map (B, C, T', H', W'), per-frame class tokens (B, T', C))``."""
        b = x.shape[0]
        tokens, (t, h, w) = self.patch_embed(x)
        tokens = torch.cat([self.cls_token.expand(tokens.shape[0], -1, -1), tokens], dim=1)
        tokens = self._run(self.blocks, self.pos_drop(tokens + self._pos_embed((h, w))))
        patch_map = tokens[:, 1:].reshape(b, t, h, w, -1).permute(0, 4, 1, 2, 3)
        return patch_map, tokens[:, 0].reshape(b, t, -1)

    def forward_temporal(self, frame_tokens: torch.Tensor) -> torch.Tensor:
        """Temporal encoder on ``(B, T', C)`` -> ``(B, T'+1, C)`` (temporal class token first), before norm."""
        x = torch.cat([self.tcls_token.expand(frame_tokens.shape[0], -1, -1), frame_tokens], dim=1)
        if self.add_temporal_pos:
            if x.shape[1] > self.tpos_embed.shape[1]:
                raise ValueError(
                    f"ViViT: {x.shape[1] - 1} temporal tokens exceed tpos_embed {tuple(self.tpos_embed.shape)}"
                )
            x = x + self.tpos_embed[:, : x.shape[1]]
        return self._run(self.tblocks, x)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Last spatial block's patch tokens (no final norm) as ``(B, C, T/2, H/16, W/16)``, with the
        per-frame class tokens attached as ``.frame_tokens`` ``(B, C, T/2)`` for ``forward_head``."""
        patch_map, frame_tokens = self.forward_spatial(x)
        patch_map.frame_tokens = frame_tokens.transpose(1, 2)
        return patch_map

    def forward_feature_pair(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """SV-Mix's pair: spatial map ``(B, C, T', H', W')`` and temporal-block frame tokens ``(B, C, T')``
        (before the final norm). Not detached: callers that need no gradient detach them."""
        patch_map, frame_tokens = self.forward_spatial(x)
        return patch_map, self.forward_temporal(frame_tokens)[:, 1:].transpose(1, 2)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        """Logits from ``forward_features``' map (its ``.frame_tokens``) or from per-frame class tokens
        ``(B, C, T')``: temporal encoder, final norm, temporal class token, classifier."""
        if features.ndim == 5:
            tokens = getattr(features, "frame_tokens", None)
            if tokens is None:
                raise ValueError(
                    f"ViViT.forward_head got a {tuple(features.shape)} map without the per-frame class tokens: pass "
                    "forward_features' output unchanged, or the (B, C, T') class tokens of forward_spatial"
                )
            features = tokens
        t = self.forward_temporal(features.transpose(1, 2))
        return self.head(self.head_drop(self.norm(t)[:, 0]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_spatial(x)[1].transpose(1, 2))

    def no_weight_decay(self) -> set[str]:
        return {"pos_embed", "tpos_embed", "cls_token", "tcls_token"}

    def adapt_svmix_state(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """SV-Mix ``Vivit`` names -> ours: only its classifier ``fc`` is our ``head``."""
        return {("head." + k[3:] if k.startswith("fc.") else k): v for k, v in state.items()}

    def adapt_checkpoint_state(self, state: dict[str, torch.Tensor], report: Any = None) -> dict[str, torch.Tensor]:
        """Resamples position embeddings to our crop / frame count, then refuses other sizes."""
        out = dict(state)
        pe = out.get("pos_embed")
        if pe is not None and pe.ndim == 3 and pe.shape[1] != self.pos_embed.shape[1]:
            old = int(round((pe.shape[1] - 1) ** 0.5))
            if old * old == pe.shape[1] - 1 and pe.shape[2] == self.pos_embed.shape[2]:
                out["pos_embed"] = resample_abs_pos_embed(pe.float(), [self.grid, self.grid], [old, old],
                                                          num_prefix_tokens=1).to(pe.dtype)
                if report is not None:
                    report.resampled.append(("pos_embed", tuple(pe.shape), tuple(out["pos_embed"].shape)))
        tpe = out.get("tpos_embed")
        if tpe is not None and tpe.ndim == 3 and tpe.shape[1] != self.tpos_embed.shape[1] \
                and tpe.shape[2] == self.tpos_embed.shape[2]:
            cls, rest = tpe[:, :1], tpe[:, 1:].transpose(1, 2).float()
            rest = F.interpolate(rest, size=self.tpos_embed.shape[1] - 1, mode="linear").transpose(1, 2)
            out["tpos_embed"] = torch.cat([cls, rest.to(tpe.dtype)], dim=1)
            if report is not None:
                report.resampled.append(("tpos_embed", tuple(tpe.shape), tuple(out["tpos_embed"].shape)))
        require_matching_shapes(out, self, report)
        return out


def vivit_kwargs(cfg: CfgNode) -> dict:
    """Constructor kwargs from ``cfg.VIVIT`` (+ crop, frames, MODEL.NUM_CLASSES, DROPOUT_RATE, ATTN_IMPL)."""
    v = cfg.VIVIT
    crop, frames = cfg.DATA.TRAIN_CROP_SIZE, cfg.DATA.NUM_FRAMES
    if crop % v.PATCH_SIZE:
        raise ValueError(f"DATA.TRAIN_CROP_SIZE={crop} is not divisible by VIVIT.PATCH_SIZE={v.PATCH_SIZE}")
    if frames % v.TUBELET:
        raise ValueError(f"DATA.NUM_FRAMES={frames} is not divisible by VIVIT.TUBELET={v.TUBELET}")
    return dict(
        num_classes=cfg.MODEL.NUM_CLASSES,
        img_size=crop,
        num_frames=frames,
        patch_size=v.PATCH_SIZE,
        tubelet=v.TUBELET,
        in_chans=cfg.DATA.INPUT_CHANNEL_NUM[0],
        embed_dim=v.EMBED_DIM,
        depth=v.DEPTH,
        temporal_depth=v.TEMPORAL_DEPTH,
        num_heads=v.NUM_HEADS,
        mlp_ratio=v.MLP_RATIO,
        qkv_bias=v.QKV_BIAS,
        drop_rate=v.DROP_RATE,
        attn_drop_rate=v.ATTN_DROP_RATE,
        drop_path_rate=v.DROPPATH_RATE,
        head_dropout=cfg.MODEL.DROPOUT_RATE,
        temporal_pos_embed=v.TEMPORAL_POS_EMBED,
        attn_impl=cfg.MODEL.ATTN_IMPL,
    )


@MODEL_REGISTRY.register("ViViT")
@tiny_size([
    "VIVIT.EMBED_DIM", 32,
    "VIVIT.DEPTH", 2,
    "VIVIT.TEMPORAL_DEPTH", 1,
    "VIVIT.NUM_HEADS", 2,
    "VIVIT.PATCH_SIZE", 16,
], (2, 3, 4, 32, 32))
@uses_config_sections("VIVIT")
def build_vivit(cfg: CfgNode) -> ViViT:
    """ViViT factorised encoder (spatial then temporal transformer; the SV-Mix ViViT-S, VIVIT.* keys)."""
    return ViViT(**vivit_kwargs(cfg))
