"""Side4Video: a frozen image tower with a trainable spatial-temporal side network.

Data flow (Side4Video, Yao et al., arXiv 2311.15769; github.com/HJYao00/Side4Video), video-major frames
``f = b*T + t``:

* the side stem ``Conv3d(3->D, (3,p,p), stride (1,p,p), pad (1,0,0))`` + BN3d turns the clip into
  side tokens ``s (B*T, N, D)`` in parallel with the tower's patch embedding;
* after each chosen tower block i (every block for CLIP, the odd-indexed ones for EVA-E) its output
  ``z_i (B*T, 1+N, W)`` is projected to D (``LN(W)`` then ``Linear`` for CLIP, ``Linear`` then
  ``LN(D)`` for EVA-E), the patches are fused ``s = 0.5 s + 0.5 q_i`` and a side block runs with the
  projected CLS as its shifted extra key;
* the head is BN3d (CLIP only) in ``forward_features``, then mean over T*h*w, dropout, Linear.

**Frozen means free.** The tower runs under ``torch.no_grad()`` (its parameters also have
``requires_grad=False``), so autograd records nothing for it: the only backbone activations kept
for backward are the ``z_i`` the side projections consume. Gradients of the side/head parameters
are identical to the original, which builds the tower graph with frozen parameters (a test
compares both). ``backbone_dtype`` may store and run the tower in bf16/fp16 (LayerNorms stay fp32);
its outputs are cast back to the side network's dtype. The tower has no BatchNorm, so
``train()``/``eval()`` does not change it.
"""
from __future__ import annotations

from contextlib import nullcontext

import torch
import torch.nn as nn
from torch.utils.checkpoint import checkpoint

from svit.models.side4video.clip_tower import CLIPVisionTower
from svit.models.side4video.eva_tower import EVAVisionTower
from svit.models.side4video.layers import LayerNormFp32
from svit.models.side4video.side_block import EVASideBlock, SideBlock, to_tokens

_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


class SideProjection(nn.Module):
    """Tower width W -> side width D: ``fc(norm(z))`` (CLIP) or ``norm(fc(z))`` (EVA-E)."""

    def __init__(self, width: int, side_dim: int, norm_first: bool) -> None:
        super().__init__()
        self.norm_first = norm_first
        self.norm = LayerNormFp32(width if norm_first else side_dim)
        self.fc = nn.Linear(width, side_dim)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.fc(self.norm(z)) if self.norm_first else self.norm(self.fc(z))


class SideStem(nn.Module):
    """3D patch stem of the side network: Conv3d (3, p, p) + BatchNorm3d, no activation."""

    def __init__(self, side_dim: int, patch_size: int) -> None:
        super().__init__()
        p = patch_size
        self.conv = nn.Conv3d(3, side_dim, (3, p, p), stride=(1, p, p), padding=(1, 0, 0))
        self.bn = nn.BatchNorm3d(side_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.conv(x))


class Side4Video(nn.Module):
    """Side4Video recognition model. Input ``(B, 3, T, H, W)``, output logits ``(B, num_classes)``."""

    def __init__(
        self,
        num_classes: int,
        variant: str = "clip",
        width: int = 768,
        layers: int = 12,
        heads: int = 12,
        patch_size: int = 16,
        image_size: int = 224,
        mlp_hidden: int = 0,
        side_dim: int = 320,
        side_heads: int = 0,
        dropout: float = 0.0,
        attn_impl: str = "sdpa",
        backbone_dtype: str = "float32",
        activation: str = "quick_gelu",
        ln_pre: bool = True,
    ) -> None:
        super().__init__()
        if variant not in ("clip", "eva"):
            raise ValueError(f"Side4Video variant must be 'clip' or 'eva', got {variant!r}")
        if backbone_dtype not in _DTYPES:
            raise ValueError(f"Side4Video backbone_dtype must be one of {sorted(_DTYPES)}, got {backbone_dtype!r}")
        if image_size % patch_size:
            raise ValueError(f"Side4Video: image size {image_size} is not a multiple of the patch size {patch_size}")
        self.variant, self.side_dim, self.patch_size = variant, side_dim, patch_size
        self.grad_checkpointing = False
        self.detach_backbone = True  # False only to reproduce the original's frozen-graph backward in tests
        heads_side = side_heads or max(1, side_dim // 64)
        if side_dim % heads_side:
            raise ValueError(f"Side4Video: SIDE_DIM {side_dim} is not divisible by {heads_side} side heads")
        if variant == "clip":
            self.backbone: nn.Module = CLIPVisionTower(
                width, layers, heads, patch_size, image_size, attn_impl, mlp_hidden, activation, ln_pre
            )
            self.side_layers = list(range(layers))
        else:
            self.backbone = EVAVisionTower(
                width, layers, heads, patch_size, image_size, mlp_hidden or 4 * width, attn_impl
            )
            self.side_layers = list(range(1, layers, 2))
        num_patches = (image_size // patch_size) ** 2
        self.side_stem = SideStem(side_dim, patch_size)
        self.side_pos_embed = nn.Parameter(torch.empty(num_patches, side_dim))
        nn.init.normal_(self.side_pos_embed, std=0.01 if variant == "clip" else 0.02)
        self.side_projs = nn.ModuleList(
            SideProjection(width, side_dim, norm_first=variant == "clip") for _ in self.side_layers
        )
        block = (lambda: SideBlock(side_dim, heads_side, attn_impl)) if variant == "clip" else (
            lambda: EVASideBlock(side_dim, heads_side, attn_impl)
        )
        self.side_blocks = nn.ModuleList(block() for _ in self.side_layers)
        self.side_post_bn: nn.Module = nn.BatchNorm3d(side_dim) if variant == "clip" else nn.Identity()
        self.head_drop = nn.Dropout(dropout)
        self.fc = nn.Linear(side_dim, num_classes)
        for p in self.backbone.parameters():
            p.requires_grad_(False)
        self.backbone.to(_DTYPES[backbone_dtype])

    # -- interface ---------------------------------------------------------------------------
    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, T, H, W)`` -> side feature map ``(B, D, T, h, w)`` (after the CLIP post BN)."""
        b, c, t, hgt, wid = x.shape
        p = self.patch_size
        if hgt % p or wid % p:
            raise ValueError(f"Side4Video: input {hgt}x{wid} is not a multiple of the patch size {p}")
        hw = (hgt // p, wid // p)
        if hw[0] * hw[1] != self.side_pos_embed.shape[0]:
            raise ValueError(
                f"Side4Video: input {hgt}x{wid} gives {hw[0] * hw[1]} patches, the model was built for "
                f"{self.side_pos_embed.shape[0]} (crop {self.backbone.image_size})"
            )
        side_dtype = self.side_pos_embed.dtype
        s = to_tokens(self.side_stem(x))
        frames = x.transpose(1, 2).reshape(b * t, c, hgt, wid)
        frozen = torch.no_grad() if self.detach_backbone else nullcontext()
        with frozen:
            z = self.backbone.embed(frames)
        blocks = self.backbone.resblocks if self.variant == "clip" else self.backbone.blocks
        k = 0
        for i, blk in enumerate(blocks):
            with frozen:
                z = blk(z)
            if k >= len(self.side_layers) or self.side_layers[k] != i:
                continue
            u = self.side_projs[k](z.to(side_dtype))
            s = 0.5 * s + 0.5 * u[:, 1:]
            if self.grad_checkpointing and torch.is_grad_enabled():
                s = checkpoint(self.side_blocks[k], s, u[:, :1], self.side_pos_embed, t, hw, use_reentrant=False)
            else:
                s = self.side_blocks[k](s, u[:, :1], self.side_pos_embed, t, hw)
            k += 1
        v = s.reshape(b, t, hw[0], hw[1], self.side_dim).permute(0, 4, 1, 2, 3)
        return self.side_post_bn(v)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.fc(self.head_drop(features.flatten(2).mean(-1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))

    def no_weight_decay(self) -> set[str]:
        """Nothing: the original decays every trainable tensor (BN, LN, biases, P)."""
        return set()

    def set_grad_checkpointing(self, enable: bool = True) -> None:
        """Recompute each side block in backward (the frozen tower keeps no graph anyway)."""
        self.grad_checkpointing = enable

    def set_activation_checkpointing(self, flag: bool) -> None:
        self.set_grad_checkpointing(flag)
