"""UniFormer video model (Li et al., ICLR 2022), registered as ``UniFormer``.

Four stages: convolutional CBlocks at the two high-resolution stages, global self-attention
SABlocks at the last two, BatchNorm3d, mean pool and a linear head. Parameter names are the
official ``Sense-X/UniFormer`` (and SV-Mix) ones, so their checkpoints need no renaming; ImageNet
2D weights are inflated by the ``uniformer`` adapter.
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn as nn
from fvcore.common.config import CfgNode

from svit.config.sections import uses_config_sections
from svit.models.adapters.shape_check import require_matching_shapes
from svit.models.family_kwargs import family_kwargs
from svit.models.registry import MODEL_REGISTRY
from svit.models.tiny import tiny_size
from svit.models.uniformer.blocks import CBlock, SABlock
from svit.models.uniformer.patch_embed import PatchEmbed3D
from svit.models.vit_common import ATTN_IMPLS, TimmBlockModel, init_vit_weights

# Official video sizes (depths per stage; widths 64/128/320/512 and head dim 64 for both).
UNIFORMER_DEPTHS = {"small": (3, 4, 8, 3), "base": (5, 8, 20, 7)}


class UniFormer(TimmBlockModel):
    """UniFormer-S/B for clips ``(B, C, T, H, W)`` (T even, H and W multiples of 32)."""

    def __init__(
        self,
        num_classes: int = 400,
        in_chans: int = 3,
        depth: tuple[int, int, int, int] = (3, 4, 8, 3),
        embed_dim: tuple[int, int, int, int] = (64, 128, 320, 512),
        head_dim: int = 64,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        drop_rate: float = 0.0,
        attn_drop_rate: float = 0.0,
        drop_path_rate: float = 0.1,
        head_dropout: float = 0.0,
        attn_impl: str = "sdpa",
    ) -> None:
        super().__init__()
        if len(depth) != 4 or len(embed_dim) != 4:
            raise ValueError(f"UniFormer needs 4 stages, got depth {depth} and embed_dim {embed_dim}")
        if attn_impl not in ATTN_IMPLS:
            raise ValueError(f"attn_impl must be one of {ATTN_IMPLS}, got {attn_impl!r}")
        dims = list(embed_dim)
        self.num_features = dims[-1]
        self.patch_embed1 = PatchEmbed3D(in_chans, dims[0], (3, 4, 4), (2, 4, 4), (1, 0, 0))
        self.patch_embed2 = PatchEmbed3D(dims[0], dims[1], (1, 2, 2), (1, 2, 2), (0, 0, 0))
        self.patch_embed3 = PatchEmbed3D(dims[1], dims[2], (1, 2, 2), (1, 2, 2), (0, 0, 0))
        self.patch_embed4 = PatchEmbed3D(dims[2], dims[3], (1, 2, 2), (1, 2, 2), (0, 0, 0))
        self.pos_drop = nn.Dropout(drop_rate)
        dpr = torch.linspace(0, drop_path_rate, sum(depth), device="cpu").tolist()
        starts = [sum(depth[:i]) for i in range(4)]
        self.blocks1 = nn.ModuleList(
            CBlock(dims[0], mlp_ratio, drop_rate, dpr[starts[0] + i]) for i in range(depth[0]))
        self.blocks2 = nn.ModuleList(
            CBlock(dims[1], mlp_ratio, drop_rate, dpr[starts[1] + i]) for i in range(depth[1]))
        self.blocks3 = nn.ModuleList(
            SABlock(dims[2], dims[2] // head_dim, mlp_ratio, qkv_bias, drop_rate, attn_drop_rate, dpr[starts[2] + i])
            for i in range(depth[2]))
        self.blocks4 = nn.ModuleList(
            SABlock(dims[3], dims[3] // head_dim, mlp_ratio, qkv_bias, drop_rate, attn_drop_rate, dpr[starts[3] + i])
            for i in range(depth[3]))
        self.norm = nn.BatchNorm3d(dims[3])
        self.head_drop = nn.Dropout(head_dropout)
        self.head = nn.Linear(dims[3], num_classes)
        self.grad_checkpointing = False
        self.apply(init_vit_weights)
        self.set_attn_impl(attn_impl)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, T, H, W)`` -> map after the final BatchNorm ``(B, 512, T/2, H/32, W/32)``."""
        if x.ndim != 5:
            raise ValueError(f"UniFormer expects (B, C, T, H, W) input, got shape {tuple(x.shape)}")
        x = self._run(self.blocks1, self.pos_drop(self.patch_embed1(x)))
        x = self._run(self.blocks2, self.patch_embed2(x))
        x = self._run(self.blocks3, self.patch_embed3(x))
        x = self._run(self.blocks4, self.patch_embed4(x))
        return self.norm(x)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(self.head_drop(features.flatten(2).mean(-1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))

    def no_weight_decay(self) -> set[str]:
        """Empty: the original's list (``pos_embed``, ``cls_token``) names no parameter of this model;
        zero decay on 1-D parameters is the optimiser's rule, not the model's."""
        return set()

    def adapt_svmix_state(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """SV-Mix ``Uniformer`` uses the official names, which are ours: nothing to rename."""
        return dict(state)

    def adapt_checkpoint_state(self, state: dict[str, torch.Tensor], report: Any = None) -> dict[str, torch.Tensor]:
        """Refuses a checkpoint of another size (e.g. UniFormer-B into -S); the head may differ."""
        require_matching_shapes(state, self, report)
        return state


def uniformer_kwargs(cfg: CfgNode) -> dict:
    """Constructor kwargs from ``cfg.UNIFORMER`` (+ MODEL.NUM_CLASSES, DROPOUT_RATE, ATTN_IMPL)."""
    crop = cfg.DATA.TRAIN_CROP_SIZE
    if crop % 32:
        raise ValueError(
            f"DATA.TRAIN_CROP_SIZE={crop} must be a multiple of 32 for UniFormer (patch 4, then 3x stride 2)"
        )
    return family_kwargs(cfg, "UNIFORMER", {
        "depth": "DEPTHS", "embed_dim": "EMBED_DIM", "head_dim": "HEAD_DIM", "mlp_ratio": "MLP_RATIO",
        "qkv_bias": "QKV_BIAS", "drop_rate": "DROP_RATE", "attn_drop_rate": "ATTN_DROP_RATE",
        "drop_path_rate": "DROPPATH_RATE",
    })


@MODEL_REGISTRY.register("UniFormer")
@tiny_size([
    "UNIFORMER.DEPTHS", [1, 1, 1, 1],
    "UNIFORMER.EMBED_DIM", [16, 32, 64, 64],
    "UNIFORMER.HEAD_DIM", 32,
], (2, 3, 4, 64, 64))
@uses_config_sections("UNIFORMER")
def build_uniformer(cfg: CfgNode) -> UniFormer:
    """UniFormer (conv stages + global attention stages; UNIFORMER.* keys, e.g. UniFormer-S 16x4)."""
    return UniFormer(**uniformer_kwargs(cfg))
