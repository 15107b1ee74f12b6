"""MViTv2 video backbone + classifier (registered ``MViT``), PySlowFast-compatible names and shapes.

The token grid is taken from the input (any number of frames, any square-or-not crop); the config
only fixes the lengths of the relative-position tables (resampled on the fly when the grid
differs) and of absolute position embeddings (interpolated). Extra tokens appended after the patch
tokens (SViT's object tokens) flow through every block: see ``forward_tokens``.
"""
from __future__ import annotations

import math
from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F
from fvcore.common.config import CfgNode
from timm.layers import trunc_normal_
from torch.utils.checkpoint import checkpoint

from svit.checkpoint import CheckpointError, LoadReport
from svit.models.mvit.block import MultiScaleBlock
from svit.models.mvit.patch_embed import PatchEmbed
from svit.models.mvit.rel_pos import resample_rel_pos
from svit.models.mvit.schedule import block_schedule
from svit.models.registry import MODEL_REGISTRY

REL_POS_NAMES = ("rel_pos_h", "rel_pos_w", "rel_pos_t")


class TransformerBasicHead(nn.Module):
    """Dropout + linear classifier on a pooled feature; returns raw logits (no softmax)."""

    def __init__(self, dim_in: int, num_classes: int, dropout_rate: float = 0.0) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout_rate) if dropout_rate > 0.0 else nn.Identity()
        self.projection = nn.Linear(dim_in, num_classes, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.projection(self.dropout(x))


def as_video(x: torch.Tensor | list | tuple) -> torch.Tensor:
    """Accepts ``(B,C,T,H,W)``, an image batch ``(B,C,H,W)`` or PySlowFast's ``[tensor]`` list."""
    if isinstance(x, (list, tuple)):
        x = x[0]
    if x.ndim == 4:
        x = x.unsqueeze(2)
    if x.ndim != 5:
        raise ValueError(f"MViT expects (B,C,T,H,W) or (B,C,H,W) input, got shape {tuple(x.shape)}")
    return x


def _resample_1d(table: torch.Tensor, length: int) -> torch.Tensor:
    """Linear resampling of a ``(1, L, C)`` embedding along L: the rel-pos table rule, batched."""
    return resample_rel_pos(table[0], length).unsqueeze(0)


def resample_spatial_pos(table: torch.Tensor, size: tuple[int, int], key: str, path: str) -> torch.Tensor:
    """Bicubic resampling of a ``(1, S*S, C)`` spatial position table to ``(1, h*w, C)``.

    Checkpoints store the table of a square patch grid; its side is read off its length, so a
    length that is not a square cannot be placed and raises CheckpointError naming ``path``.
    """
    n, dim = table.shape[1], table.shape[2]
    side = math.isqrt(n)
    if side * side != n:
        raise CheckpointError(
            f"Checkpoint {path}: {key} has {n} positions, not a square patch grid; cannot resample it "
            f"to {size[0]}x{size[1]}."
        )
    grid = table.float().reshape(1, side, side, dim).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, size=size, mode="bicubic", align_corners=False)
    return grid.flatten(2).transpose(1, 2).to(table.dtype)


class MViT(nn.Module):
    """MViTv1/v2 for video classification (``forward(x) -> logits (B, K)``)."""

    def __init__(self, cfg: CfgNode) -> None:
        super().__init__()
        m = cfg.MVIT
        self.cfg = cfg
        if m.NORM != "layernorm":
            raise ValueError(f"MVIT.NORM must be layernorm, got {m.NORM!r}")
        norm_layer = partial(nn.LayerNorm, eps=1e-6)
        self.use_2d_patch = m.PATCH_2D
        patch_stride = ([1] + list(m.PATCH_STRIDE)) if m.PATCH_2D else list(m.PATCH_STRIDE)
        crop = cfg.DATA.TRAIN_CROP_SIZE
        self.patch_dims = [
            d // s for d, s in zip([cfg.DATA.NUM_FRAMES, crop, crop], patch_stride)
        ]
        embed_dim = m.EMBED_DIM
        self.cls_embed_on = m.CLS_EMBED_ON
        self.use_abs_pos = m.USE_ABS_POS
        self.sep_pos_embed = m.SEP_POS_EMBED
        self.rel_pos_spatial = m.REL_POS_SPATIAL
        self.rel_pos_temporal = m.REL_POS_TEMPORAL
        self.use_mean_pooling = m.USE_MEAN_POOLING
        self.zero_decay_pos_cls = m.ZERO_DECAY_POS_CLS
        self.act_checkpoint = False

        self.patch_embed = PatchEmbed(
            dim_in=cfg.DATA.INPUT_CHANNEL_NUM[0],
            dim_out=embed_dim,
            kernel=m.PATCH_KERNEL,
            stride=m.PATCH_STRIDE,
            padding=m.PATCH_PADDING,
            conv_2d=m.PATCH_2D,
        )
        if self.cls_embed_on:
            self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        n_patches = self.patch_dims[0] * self.patch_dims[1] * self.patch_dims[2]
        if self.use_abs_pos:
            if self.sep_pos_embed:
                self.pos_embed_spatial = nn.Parameter(
                    torch.zeros(1, self.patch_dims[1] * self.patch_dims[2], embed_dim)
                )
                self.pos_embed_temporal = nn.Parameter(torch.zeros(1, self.patch_dims[0], embed_dim))
                if self.cls_embed_on:
                    self.pos_embed_class = nn.Parameter(torch.zeros(1, 1, embed_dim))
            else:
                self.pos_embed = nn.Parameter(
                    torch.zeros(1, n_patches + int(self.cls_embed_on), embed_dim)
                )
        self.pos_drop = nn.Dropout(m.DROPOUT_RATE) if m.DROPOUT_RATE > 0 else nn.Identity()
        self.norm_stem = norm_layer(embed_dim) if m.NORM_STEM else None

        self.blocks = nn.ModuleList()
        for spec in block_schedule(cfg, self.patch_dims):
            self.blocks.append(
                MultiScaleBlock(
                    dim=spec.dim,
                    dim_out=spec.dim_out,
                    num_heads=spec.num_heads,
                    input_size=spec.input_size,
                    mlp_ratio=m.MLP_RATIO,
                    qkv_bias=m.QKV_BIAS,
                    drop_rate=m.DROPOUT_RATE,
                    drop_path=spec.drop_path,
                    norm_layer=norm_layer,
                    kernel_q=spec.kernel_q,
                    kernel_kv=spec.kernel_kv,
                    stride_q=spec.stride_q,
                    stride_kv=spec.stride_kv,
                    mode=m.MODE,
                    has_cls_embed=self.cls_embed_on,
                    pool_first=m.POOL_FIRST,
                    rel_pos_spatial=self.rel_pos_spatial,
                    rel_pos_temporal=self.rel_pos_temporal,
                    rel_pos_zero_init=m.REL_POS_ZERO_INIT,
                    residual_pooling=m.RESIDUAL_POOLING,
                    dim_mul_in_att=m.DIM_MUL_IN_ATT,
                    separate_qkv=m.SEPARATE_QKV,
                    layer_scale_init_value=m.LAYER_SCALE_INIT_VALUE,
                    attn_impl=cfg.MODEL.ATTN_IMPL,
                )
            )
            embed_dim = spec.dim_out
        self.embed_dim = embed_dim
        self.norm = norm_layer(embed_dim)
        self._build_head(cfg, embed_dim)
        self._init_parameters()

    # ------------------------------------------------------------------ construction
    def _build_head(self, cfg: CfgNode, dim: int) -> None:
        self.head = TransformerBasicHead(dim, cfg.MODEL.NUM_CLASSES, cfg.MODEL.DROPOUT_RATE)

    def _init_parameters(self) -> None:
        """trunc-normal(0.02) for tokens, embeddings and Linear weights; zero biases; unit norms."""
        for name in ("cls_token", "pos_embed", "pos_embed_spatial", "pos_embed_temporal", "pos_embed_class"):
            if hasattr(self, name):
                trunc_normal_(getattr(self, name), std=0.02)
        self.apply(self._init_module)
        scale = self.cfg.MVIT.HEAD_INIT_SCALE
        proj = getattr(self.head, "projection", None)
        if isinstance(proj, nn.Linear) and scale != 1.0:
            with torch.no_grad():
                proj.weight.mul_(scale)
                proj.bias.mul_(scale)

    @staticmethod
    def _init_module(mod: nn.Module) -> None:
        if isinstance(mod, nn.Linear):
            trunc_normal_(mod.weight, std=0.02)
            if mod.bias is not None:
                nn.init.zeros_(mod.bias)
        elif isinstance(mod, nn.LayerNorm):
            nn.init.ones_(mod.weight)
            nn.init.zeros_(mod.bias)

    # ------------------------------------------------------------------ options
    def set_activation_checkpointing(self, flag: bool) -> None:
        """Recompute each block in backward (training only) to save activation memory."""
        self.act_checkpoint = bool(flag)

    def set_attn_impl(self, impl: str) -> None:
        """Switches every block between ``sdpa`` and ``explicit`` attention (same function)."""
        for blk in self.blocks:
            if impl not in ("sdpa", "explicit"):
                raise ValueError(f"attention implementation must be sdpa or explicit, got {impl!r}")
            blk.attn.attn_impl = impl

    def no_weight_decay(self) -> set[str]:
        """Parameter names kept out of weight decay when MVIT.ZERO_DECAY_POS_CLS is set:
        absolute/relative position tables and the CLS token (SViT adds its object embeddings)."""
        if not self.zero_decay_pos_cls:
            return set()
        leaves = {"cls_token", "pos_embed", "pos_embed_spatial", "pos_embed_temporal", "pos_embed_class"}
        leaves |= set(REL_POS_NAMES)
        leaves |= self._extra_no_decay_leaves()
        return {n for n, _ in self.named_parameters() if n.rsplit(".", 1)[-1] in leaves}

    def _extra_no_decay_leaves(self) -> set[str]:
        return set()

    def adapt_checkpoint_state(self, state_dict: dict, report: LoadReport | None = None) -> dict:
        """Returns a copy of ``state_dict`` with tables resampled to this model's lengths.

        Relative-position tables (``*.rel_pos_{h,w,t}``) whose row count differs from the model's
        (e.g. K400 weights at another crop or frame count) are resampled by 1-D linear
        interpolation over the table length, ``pos_embed_temporal`` likewise, and
        ``pos_embed_spatial`` of a checkpoint made at another crop bicubically over its square grid
        (as PySlowFast's loader does); each change is recorded in ``report.resampled``. Other
        tensors are left for the loader's shape check.
        """
        own = self.state_dict()
        out = dict(state_dict)
        for key, value in state_dict.items():
            if key not in own or not torch.is_tensor(value):
                continue
            target = own[key]
            leaf = key.rsplit(".", 1)[-1]
            new = None
            if leaf in REL_POS_NAMES and value.ndim == 2 and value.shape[1] == target.shape[1]:
                if value.shape[0] != target.shape[0]:
                    new = resample_rel_pos(value.float(), target.shape[0]).to(value.dtype)
            elif leaf == "pos_embed_temporal" and value.ndim == 3 and value.shape[2] == target.shape[2]:
                if value.shape[1] != target.shape[1]:
                    new = _resample_1d(value.float(), target.shape[1]).to(value.dtype)
            elif leaf == "pos_embed_spatial" and value.ndim == 3 and value.shape[2] == target.shape[2]:
                if value.shape[1] != target.shape[1]:
                    path = report.path if report is not None else "<state dict>"
                    new = resample_spatial_pos(value, tuple(self.patch_dims[1:]), key, path)
            if new is not None:
                out[key] = new
                if report is not None:
                    report.resampled.append((key, tuple(value.shape), tuple(new.shape)))
        return out

    # ------------------------------------------------------------------ forward
    def _abs_pos_embed(self, thw: list[int]) -> torch.Tensor:
        """Absolute position embedding for grid ``thw`` (interpolated when it differs from the
        configured grid; separable tables are interpolated per axis, which equals interpolating
        their sum trilinearly)."""
        t, h, w = thw
        p_t, p_h, p_w = self.patch_dims
        if self.sep_pos_embed:
            spatial = self.pos_embed_spatial
            if (p_h, p_w) != (h, w):
                grid = spatial.reshape(1, p_h, p_w, -1).permute(0, 3, 1, 2)
                grid = F.interpolate(grid, size=(h, w), mode="bilinear")
                spatial = grid.flatten(2).transpose(1, 2)
            temporal = _resample_1d(self.pos_embed_temporal, t)
            pos = spatial.repeat(1, t, 1) + torch.repeat_interleave(temporal, h * w, dim=1)
            if self.cls_embed_on:
                pos = torch.cat([self.pos_embed_class, pos], dim=1)
            return pos
        pos = self.pos_embed
        cls_pos = pos[:, :1] if self.cls_embed_on else pos[:, :0]
        patch_pos = pos[:, int(self.cls_embed_on) :]
        if (p_t, p_h, p_w) != (t, h, w):
            grid = patch_pos.reshape(1, p_t, p_h, p_w, -1).permute(0, 4, 1, 2, 3)
            grid = F.interpolate(grid, size=(t, h, w), mode="trilinear")
            patch_pos = grid.reshape(1, -1, t * h * w).transpose(1, 2)
        return torch.cat([cls_pos, patch_pos], dim=1)

    def embed(self, x: torch.Tensor) -> tuple[torch.Tensor, list[int]]:
        """Stem + CLS token + absolute positions: ``(B, [1] + T·H·W, D)`` and the grid."""
        tokens, thw = self.patch_embed(x)
        if self.cls_embed_on:
            tokens = torch.cat((self.cls_token.expand(tokens.shape[0], -1, -1), tokens), dim=1)
        if self.use_abs_pos:
            tokens = tokens + self._abs_pos_embed(thw)
        return tokens, thw

    def forward_tokens(self, tokens: torch.Tensor, thw: list[int]) -> tuple[torch.Tensor, list[int]]:
        """Token dropout, optional stem norm and all blocks (not the final norm)."""
        tokens = self.pos_drop(tokens)
        if self.norm_stem is not None:
            tokens = self.norm_stem(tokens)
        use_ckpt = self.act_checkpoint and self.training and torch.is_grad_enabled()
        for blk in self.blocks:
            if use_ckpt:
                tokens, thw = checkpoint(blk, tokens, thw, use_reentrant=False)
            else:
                tokens, thw = blk(tokens, thw)
        return tokens, thw

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = as_video(x)
        tokens, thw = self.embed(x)
        tokens, thw = self.forward_tokens(tokens, thw)
        if self.use_mean_pooling:
            feat = self.norm((tokens[:, 1:] if self.cls_embed_on else tokens).mean(1))
        elif self.cls_embed_on:
            feat = self.norm(tokens)[:, 0]
        else:
            feat = self.norm(tokens).mean(1)
        return self.head(feat)


@MODEL_REGISTRY.register("MViT")
def build_mvit(cfg: CfgNode) -> MViT:
    """Builder for ``MODEL.MODEL_NAME: MViT``."""
    return MViT(cfg)
