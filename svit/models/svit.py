"""SViT (StructureViT): MViTv2 + learned object tokens + HAOG heads (registered ``SViT``).

Object tokens (``SVIT.O`` slots per input frame: hand A, hand B, object A, object B) start as
``object_queries[o] + pos_embed_temporal[t]`` (no temporal term for single images), are appended
after the patch tokens and flow through every block: pooled only by the per-channel conv rule
(pooling.py), no relative positions, residual pooling on their rows. The head reads the CLS token
for the action and each object token for a box (sigmoid cx,cy,w,h), an existence logit and — on
the two hand slots — contact-state logits. Names/shapes match eladb3/SViT so its .pyth loads strictly.
"""
from __future__ import annotations

import torch
import torch.nn as nn
from fvcore.common.config import CfgNode
from timm.layers import trunc_normal_

from svit.config.sections import uses_config_sections
from svit.models.mvit.model import MViT, _resample_1d, as_video, mvit_kwargs
from svit.models.registry import MODEL_REGISTRY
from svit.models.tiny import MVIT_TINY, tiny_size

NUM_CONTACT_STATES = 5  # 100DOH: none, self, other person, portable object, stationary object
NUM_HAND_SLOTS = 2


class SViTHead(nn.Module):
    """Dropout on [CLS | object tokens], then class logits and per-object HAOG predictions.

    Everything is returned raw (logits): the evaluator softmaxes class scores, the losses take
    existence / contact logits.
    """

    def __init__(self, dim_in: int, num_classes: int, dropout_rate: float = 0.0) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout_rate) if dropout_rate > 0.0 else nn.Identity()
        self.projection = nn.Linear(dim_in, num_classes, bias=True)
        self.boxes_mlp = nn.Sequential(nn.Linear(dim_in, 4, bias=True), nn.Sigmoid())
        self.boxes_bce_mlp = nn.Linear(dim_in, 1, bias=True)
        self.contact_mlp = nn.Linear(dim_in, NUM_CONTACT_STATES, bias=True)

    def forward(self, x: torch.Tensor, t_in: int) -> dict[str, torch.Tensor]:
        """``x (B, 1 + T_in·O, D)``: pooled class token first, then object tokens frame-major."""
        b = x.shape[0]
        obj_pre = x[:, 1:].reshape(b, t_in, -1, x.shape[-1])
        x = self.dropout(x)
        cls_feat, obj = x[:, 0], x[:, 1:].reshape(b, t_in, -1, x.shape[-1])
        boxes = self.boxes_mlp(obj)
        exist = self.boxes_bce_mlp(obj)
        contact = self.contact_mlp(obj[:, :, :NUM_HAND_SLOTS])
        return {
            "logits": self.projection(cls_feat),
            "pred_bboxes": torch.cat((exist, boxes), dim=-1),
            "pred_contact_state": contact,
            "obj_desc": obj,
            "obj_desc_pre_dropout": obj_pre,
        }


class SViT(MViT):
    """``forward(x, images=None) -> dict`` with logits (B,K), pred_bboxes (B,T_in,O,5) [exist logit, cx,cy,w,h],
    pred_contact_state (B,T_in,2,5), obj_desc / obj_desc_pre_dropout (B,T_in,O,D).

    ``x`` is a clip ``(B,3,T_in,H,W)`` or an image batch ``(B,3,H,W)`` / ``(B,3,1,H,W)``.
    """

    def __init__(self, *, num_objects: int = 4, **mvit_kwargs) -> None:
        """``num_objects`` object slots per frame (SVIT.O); everything else as for MViT."""
        self.num_objects = num_objects
        super().__init__(**mvit_kwargs)
        dim0 = self.patch_embed.proj.out_channels
        # One vector per *input frame* (not per token slice); shared with the separable absolute
        # position embedding when that is on, as in the original.
        self.pos_embed_temporal = nn.Parameter(torch.zeros(1, self.num_frames, dim0))
        self.object_queries = nn.Parameter(torch.zeros(1, self.num_objects, dim0))
        trunc_normal_(self.pos_embed_temporal, std=0.02)
        trunc_normal_(self.object_queries, std=0.02)

    def _build_head(self, dim: int) -> nn.Module:
        return SViTHead(dim, self.num_classes, self.head_dropout_rate)

    def _extra_no_decay_leaves(self) -> set[str]:
        return {"object_queries", "pos_embed_temporal"}

    def object_tokens(self, batch: int, t_in: int) -> torch.Tensor:
        """``(B, T_in·O, D)`` initial object tokens, frame-major (index t·O + o)."""
        obj = self.object_queries.unsqueeze(1).expand(batch, t_in, -1, -1)
        if t_in > 1:
            # A clip whose length differs from DATA.NUM_FRAMES gets a linearly resampled table.
            temporal = _resample_1d(self.pos_embed_temporal, t_in)
            obj = obj + temporal.unsqueeze(2)
        return obj.reshape(batch, t_in * self.num_objects, -1)

    def forward(self, x: torch.Tensor, images: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Outputs for ``x``; with ``images`` (co-training) their outputs are added under
        ``"image_outputs"``. Both passes in one call keep DistributedDataParallel at one forward per
        backward."""
        out = self._forward_single(x)
        if images is not None:
            out["image_outputs"] = self._forward_single(images)
        return out

    def _tokens(self, x: torch.Tensor) -> tuple[torch.Tensor, list[int], int]:
        """Last-block tokens [CLS?] + patches + objects (before the final norm), grid, T_in."""
        x = as_video(x)
        b, t_in = x.shape[0], x.shape[2]
        tokens, thw = self.embed(x)
        tokens = torch.cat((tokens, self.object_tokens(b, t_in).to(tokens.dtype)), dim=1)
        tokens, thw = self.forward_tokens(tokens, thw)
        return tokens, thw, t_in

    def forward_features_cls(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Last-block patch map ``(B, C, T', H', W')`` before the final norm, and the CLS token;
        the object tokens took part in every block but are not in the map."""
        tokens, thw, _ = self._tokens(x)
        return self.split_tokens(tokens, thw)

    def forward_head(self, features: torch.Tensor, cls_token: torch.Tensor | None = None) -> torch.Tensor:
        """Class logits only, from the pre-norm map (and the CLS token), read as ``forward`` reads
        them; the HAOG predictions need the object tokens, which only ``forward`` has."""
        if self.cls_embed_on and cls_token is not None:
            feat = self.norm(cls_token)
        else:
            feat = self.norm(features.flatten(2).transpose(1, 2)).mean(1)
        return self.head.projection(self.head.dropout(feat))

    def _forward_single(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        tokens, _, t_in = self._tokens(x)
        n_obj = t_in * self.num_objects
        tokens = self.norm(tokens)
        if self.cls_embed_on:
            cls_feat = tokens[:, :1]
        else:
            cls_feat = tokens[:, :-n_obj].mean(1, keepdim=True)
        return self.head(torch.cat((cls_feat, tokens[:, -n_obj:]), dim=1), t_in)


@MODEL_REGISTRY.register("SViT")
@tiny_size(MVIT_TINY, (2, 3, 4, 32, 32))
@uses_config_sections("MVIT", "SVIT")
def build_svit(cfg: CfgNode) -> SViT:
    """Builder for ``MODEL.MODEL_NAME: SViT`` (the MViT keys plus SVIT.O)."""
    return SViT(num_objects=cfg.SVIT.O, **mvit_kwargs(cfg))
