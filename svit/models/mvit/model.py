"""MViTv2 video backbone + classifier (registered ``MViT``), PySlowFast-compatible names and shapes.

The token grid is taken from the input (any number of frames, any square-or-not crop); the config
only fixes the lengths of the relative-position tables (resampled on the fly when the grid
differs) and of absolute position embeddings (interpolated). Extra tokens appended after the patch
tokens (SViT's object tokens) flow through every block: see ``forward_tokens``.
"""
from __future__ import annotations

import math
from functools import partial
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from fvcore.common.config import CfgNode
from timm.layers import trunc_normal_
from torch.utils.checkpoint import checkpoint

from svit.checkpoint import CheckpointError, LoadReport
from svit.config.sections import register_key_choices, uses_config_sections
from svit.models.mvit.attention import ATTN_IMPLS, MultiScaleAttention
from svit.models.mvit.block import MultiScaleBlock
from svit.models.mvit.patch_embed import PatchEmbed
from svit.models.mvit.rel_pos import resample_rel_pos
from svit.models.mvit.schedule import block_schedule
from svit.models.mvit.sincos import sincos_3d
from svit.models.registry import MODEL_REGISTRY
from svit.models.tiny import MVIT_TINY, tiny_size
from svit.models.vit_common import LINEAR_INITS, check_linear_init, init_vit_weights, set_attn_impl_of

REL_POS_NAMES = ("rel_pos_h", "rel_pos_w", "rel_pos_t")


# A run with another MVIT.LINEAR_INIT stops at config validation, before its run folder exists.
register_key_choices("MVIT.LINEAR_INIT", LINEAR_INITS)


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
    """Bilinear (``align_corners=False``) resampling of a ``(1, S*S, C)`` spatial position table to
    ``(1, h*w, C)``.

    Bilinear, not bicubic: PySlowFast evaluates a model at another size by interpolating the
    combined embedding (spatial tiled over time plus temporal) trilinearly, which is the same as
    this spatial table bilinearly plus the temporal one linearly (interpolation weights sum to one
    per axis); so a checkpoint made at 16x224 loaded into an 8x96 model computes what PySlowFast's
    16x224 model computes on an 8x96 clip. Checkpoints store the table of a square patch grid; its
    side is read off its length, so a length that is not a square raises CheckpointError naming ``path``.
    """
    n, dim = table.shape[1], table.shape[2]
    side = math.isqrt(n)
    if side * side != n:
        raise CheckpointError(
            f"Checkpoint {path}: {key} has {n} positions, not a square patch grid; cannot resample it "
            f"to {size[0]}x{size[1]}."
        )
    grid = table.float().reshape(1, side, side, dim).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, size=size, mode="bilinear", align_corners=False)
    return grid.flatten(2).transpose(1, 2).to(table.dtype)


class MViT(nn.Module):
    """MViTv1/v2 for video classification (``forward(x) -> logits (B, K)``), built from keyword
    arguments (``build_mvit`` maps the MVIT.* / DATA.* / MODEL.* keys of the same meaning).

    ``num_frames`` and ``crop_size`` fix the token grid the position tables are sized for;
    ``dropout_rate`` is the token dropout after the stem (MVIT.DROPOUT_RATE), ``head_dropout_rate``
    the dropout before the classifier (MODEL.DROPOUT_RATE). The schedule lists follow PySlowFast's
    conventions (see svit.models.mvit.schedule.block_schedule).
    """

    def __init__(
        self,
        *,
        num_classes: int,
        num_frames: int = 16,
        crop_size: int = 224,
        in_chans: int = 3,
        embed_dim: int = 96,
        num_heads: int = 1,
        depth: int = 16,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        drop_path_rate: float = 0.1,
        dropout_rate: float = 0.0,
        head_dropout_rate: float = 0.5,
        head_init_scale: float = 1.0,
        linear_init: str = "trunc_normal",
        layer_scale_init_value: float = 0.0,
        patch_kernel: Sequence[int] = (3, 7, 7),
        patch_stride: Sequence[int] = (2, 4, 4),
        patch_padding: Sequence[int] = (1, 3, 3),
        patch_2d: bool = False,
        mode: str = "conv",
        pool_first: bool = False,
        cls_embed_on: bool = True,
        use_abs_pos: bool = True,
        sep_pos_embed: bool = False,
        use_fixed_sincos_pos: bool = False,
        rel_pos_spatial: bool = False,
        rel_pos_temporal: bool = False,
        rel_pos_zero_init: bool = False,
        residual_pooling: bool = False,
        dim_mul_in_att: bool = False,
        separate_qkv: bool = False,
        norm_stem: bool = False,
        use_mean_pooling: bool = False,
        zero_decay_pos_cls: bool = True,
        dim_mul: Sequence[Sequence[float]] = (),
        head_mul: Sequence[Sequence[float]] = (),
        pool_q_stride: Sequence[Sequence[int]] = (),
        pool_kv_stride: Sequence[Sequence[int]] = (),
        pool_kv_stride_adaptive: Sequence[int] = (),
        pool_kvq_kernel: Sequence[int] = (3, 3, 3),
        attn_impl: str = "sdpa",
    ) -> None:
        super().__init__()
        if use_fixed_sincos_pos and (not use_abs_pos or sep_pos_embed):
            raise ValueError(
                "MVIT.USE_FIXED_SINCOS_POS needs MVIT.USE_ABS_POS True and MVIT.SEP_POS_EMBED False "
                "(the fixed table is the joint pos_embed)"
            )
        check_linear_init(linear_init, "MVIT.LINEAR_INIT")
        norm_layer = partial(nn.LayerNorm, eps=1e-6)
        self.linear_init = linear_init
        self.num_classes = num_classes
        self.num_frames = num_frames
        self.head_dropout_rate = head_dropout_rate
        self.head_init_scale = head_init_scale
        self.use_2d_patch = patch_2d
        full_stride = ([1] + list(patch_stride)) if patch_2d else list(patch_stride)
        self.patch_dims = [d // s for d, s in zip([num_frames, crop_size, crop_size], full_stride)]
        self.cls_embed_on = cls_embed_on
        self.use_abs_pos = use_abs_pos
        self.sep_pos_embed = sep_pos_embed
        self.use_fixed_sincos_pos = use_fixed_sincos_pos
        self.rel_pos_spatial = rel_pos_spatial
        self.rel_pos_temporal = rel_pos_temporal
        self.use_mean_pooling = use_mean_pooling
        self.zero_decay_pos_cls = zero_decay_pos_cls
        self.grad_checkpointing = False

        self.patch_embed = PatchEmbed(
            dim_in=in_chans,
            dim_out=embed_dim,
            kernel=patch_kernel,
            stride=patch_stride,
            padding=patch_padding,
            conv_2d=patch_2d,
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
                # A frozen parameter (not a buffer) when fixed: PySlowFast checkpoints store it so.
                self.pos_embed = nn.Parameter(
                    torch.zeros(1, n_patches + int(self.cls_embed_on), embed_dim),
                    requires_grad=not use_fixed_sincos_pos,
                )
        self.pos_drop = nn.Dropout(dropout_rate) if dropout_rate > 0 else nn.Identity()
        self.norm_stem = norm_layer(embed_dim) if norm_stem else None

        self.blocks = nn.ModuleList()
        schedule = block_schedule(
            self.patch_dims, depth=depth, embed_dim=embed_dim, num_heads=num_heads, dim_mul=dim_mul,
            head_mul=head_mul, pool_q_stride=pool_q_stride, pool_kv_stride=pool_kv_stride,
            pool_kv_stride_adaptive=pool_kv_stride_adaptive, pool_kvq_kernel=pool_kvq_kernel,
            drop_path_rate=drop_path_rate, dim_mul_in_att=dim_mul_in_att,
        )
        for spec in schedule:
            self.blocks.append(
                MultiScaleBlock(
                    dim=spec.dim,
                    dim_out=spec.dim_out,
                    num_heads=spec.num_heads,
                    input_size=spec.input_size,
                    mlp_ratio=mlp_ratio,
                    qkv_bias=qkv_bias,
                    drop_rate=dropout_rate,
                    drop_path=spec.drop_path,
                    norm_layer=norm_layer,
                    kernel_q=spec.kernel_q,
                    kernel_kv=spec.kernel_kv,
                    stride_q=spec.stride_q,
                    stride_kv=spec.stride_kv,
                    mode=mode,
                    has_cls_embed=self.cls_embed_on,
                    pool_first=pool_first,
                    rel_pos_spatial=self.rel_pos_spatial,
                    rel_pos_temporal=self.rel_pos_temporal,
                    rel_pos_zero_init=rel_pos_zero_init,
                    residual_pooling=residual_pooling,
                    dim_mul_in_att=dim_mul_in_att,
                    separate_qkv=separate_qkv,
                    layer_scale_init_value=layer_scale_init_value,
                    attn_impl=attn_impl,
                )
            )
            embed_dim = spec.dim_out
        self.embed_dim = embed_dim
        self.norm = norm_layer(embed_dim)
        self.head = self._build_head(embed_dim)
        self._init_parameters()

    # ------------------------------------------------------------------ construction
    def _build_head(self, dim: int) -> nn.Module:
        return TransformerBasicHead(dim, self.num_classes, self.head_dropout_rate)

    def _init_parameters(self) -> None:
        """trunc-normal(0.02) for tokens and embeddings, Linear weights as ``linear_init`` (MVIT.LINEAR_INIT);
        zero biases; unit norms;
        the fixed sin-cos table when USE_FIXED_SINCOS_POS."""
        for name in ("cls_token", "pos_embed", "pos_embed_spatial", "pos_embed_temporal", "pos_embed_class"):
            if hasattr(self, name):
                trunc_normal_(getattr(self, name), std=0.02)
        if self.use_fixed_sincos_pos:
            with torch.no_grad():
                self.pos_embed.copy_(sincos_3d(self.pos_embed.shape[-1], *self.patch_dims, self.cls_embed_on))
        self.apply(partial(init_vit_weights, linear_init=self.linear_init))
        scale = self.head_init_scale
        proj = getattr(self.head, "projection", None)
        if isinstance(proj, nn.Linear) and scale != 1.0:
            with torch.no_grad():
                proj.weight.mul_(scale)
                proj.bias.mul_(scale)

    # ------------------------------------------------------------------ options
    def set_grad_checkpointing(self, enable: bool = True) -> None:
        """Recompute each block in backward (training only) to save activation memory
        (MODEL.ACT_CHECKPOINT)."""
        self.grad_checkpointing = bool(enable)

    set_activation_checkpointing = set_grad_checkpointing  # the first landing's name

    def set_attn_impl(self, impl: str) -> None:
        """Switches every attention module (SViT's object-token blocks too) to ``impl``, one of
        ``ATTN_IMPLS`` (the same function; MODEL.ATTN_IMPL names them). Every transformer family has
        this method, so benchmarks and tests switch any of them the same way."""
        set_attn_impl_of(self, MultiScaleAttention, impl, ATTN_IMPLS)

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
        ``pos_embed_spatial`` of a checkpoint made at another crop bilinearly over its square grid
        (together: PySlowFast's trilinear resampling of the combined embedding, see
        ``resample_spatial_pos``); each change is recorded in ``report.resampled``. Other tensors
        are left for the loader's shape check.
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
            pos = self._abs_pos_embed(thw)
            # PySlowFast adds the fixed sin-cos table twice (once before the CLS token is attached,
            # once as the absolute embedding); kept so that its checkpoints reproduce their outputs.
            tokens = tokens + (2 * pos if self.use_fixed_sincos_pos else pos)
        return tokens, thw

    def forward_tokens(self, tokens: torch.Tensor, thw: list[int]) -> tuple[torch.Tensor, list[int]]:
        """Token dropout, optional stem norm and all blocks (not the final norm)."""
        tokens = self.pos_drop(tokens)
        if self.norm_stem is not None:
            tokens = self.norm_stem(tokens)
        use_ckpt = self.grad_checkpointing and self.training and torch.is_grad_enabled()
        for blk in self.blocks:
            if use_ckpt:
                tokens, thw = checkpoint(blk, tokens, thw, use_reentrant=False)
            else:
                tokens, thw = blk(tokens, thw)
        return tokens, thw

    def split_tokens(self, tokens: torch.Tensor, thw: list[int]) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Last-block tokens -> (patch map ``(B, C, T', H', W')``, CLS token ``(B, C)`` or None);
        extra tokens after the patches (SViT's objects) are left out of the map."""
        start = int(self.cls_embed_on)
        t, h, w = thw
        b, _, c = tokens.shape
        patches = tokens[:, start : start + t * h * w]
        fmap = patches.reshape(b, t, h, w, c).permute(0, 4, 1, 2, 3)
        return fmap, (tokens[:, 0] if self.cls_embed_on else None)

    def forward_features_cls(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``forward_features`` plus the last block's CLS token (None without one)."""
        tokens, thw = self.forward_tokens(*self.embed(as_video(x)))
        return self.split_tokens(tokens, thw)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Last-block patch tokens as ``(B, C, T', H', W')``, before the final norm (the norm is
        part of the head: with USE_MEAN_POOLING it follows the pooling)."""
        return self.forward_features_cls(x)[0]

    def forward_head(self, features: torch.Tensor, cls_token: torch.Tensor | None = None) -> torch.Tensor:
        """Logits from the pre-norm map (and the CLS token). USE_MEAN_POOLING: norm of the mean
        patch token; a CLS model: the normed CLS token; otherwise, or when a CLS model is given no
        ``cls_token`` (a bare feature map), the mean of the normed patch tokens."""
        tokens = features.flatten(2).transpose(1, 2)  # (B, T'H'W', C)
        if self.use_mean_pooling:
            feat = self.norm(tokens.mean(1))
        elif self.cls_embed_on and cls_token is not None:
            feat = self.norm(cls_token)
        else:
            feat = self.norm(tokens).mean(1)
        return self.head(feat)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(*self.forward_features_cls(x))


def mvit_kwargs(cfg: CfgNode) -> dict:
    """MViT keyword arguments from MVIT.*, DATA.NUM_FRAMES / TRAIN_CROP_SIZE / INPUT_CHANNEL_NUM and
    MODEL.NUM_CLASSES / DROPOUT_RATE / ATTN_IMPL."""
    m = cfg.MVIT
    if m.NORM != "layernorm":
        raise ValueError(f"MVIT.NORM must be layernorm, got {m.NORM!r}")
    return dict(
        num_classes=cfg.MODEL.NUM_CLASSES,
        num_frames=cfg.DATA.NUM_FRAMES,
        crop_size=cfg.DATA.TRAIN_CROP_SIZE,
        in_chans=cfg.DATA.INPUT_CHANNEL_NUM[0],
        embed_dim=m.EMBED_DIM,
        num_heads=m.NUM_HEADS,
        depth=m.DEPTH,
        mlp_ratio=m.MLP_RATIO,
        qkv_bias=m.QKV_BIAS,
        drop_path_rate=m.DROPPATH_RATE,
        dropout_rate=m.DROPOUT_RATE,
        head_dropout_rate=cfg.MODEL.DROPOUT_RATE,
        head_init_scale=m.HEAD_INIT_SCALE,
        linear_init=m.LINEAR_INIT,
        layer_scale_init_value=m.LAYER_SCALE_INIT_VALUE,
        patch_kernel=list(m.PATCH_KERNEL),
        patch_stride=list(m.PATCH_STRIDE),
        patch_padding=list(m.PATCH_PADDING),
        patch_2d=m.PATCH_2D,
        mode=m.MODE,
        pool_first=m.POOL_FIRST,
        cls_embed_on=m.CLS_EMBED_ON,
        use_abs_pos=m.USE_ABS_POS,
        sep_pos_embed=m.SEP_POS_EMBED,
        use_fixed_sincos_pos=m.USE_FIXED_SINCOS_POS,
        rel_pos_spatial=m.REL_POS_SPATIAL,
        rel_pos_temporal=m.REL_POS_TEMPORAL,
        rel_pos_zero_init=m.REL_POS_ZERO_INIT,
        residual_pooling=m.RESIDUAL_POOLING,
        dim_mul_in_att=m.DIM_MUL_IN_ATT,
        separate_qkv=m.SEPARATE_QKV,
        norm_stem=m.NORM_STEM,
        use_mean_pooling=m.USE_MEAN_POOLING,
        zero_decay_pos_cls=m.ZERO_DECAY_POS_CLS,
        dim_mul=[list(e) for e in m.DIM_MUL],
        head_mul=[list(e) for e in m.HEAD_MUL],
        pool_q_stride=[list(e) for e in m.POOL_Q_STRIDE],
        pool_kv_stride=[list(e) for e in m.POOL_KV_STRIDE],
        pool_kv_stride_adaptive=list(m.POOL_KV_STRIDE_ADAPTIVE),
        pool_kvq_kernel=list(m.POOL_KVQ_KERNEL),
        attn_impl=cfg.MODEL.ATTN_IMPL,
    )


@MODEL_REGISTRY.register("MViT")
@tiny_size(MVIT_TINY, (2, 3, 4, 32, 32))
@uses_config_sections("MVIT")
def build_mvit(cfg: CfgNode) -> MViT:
    """Builder for ``MODEL.MODEL_NAME: MViT``."""
    return MViT(**mvit_kwargs(cfg))
