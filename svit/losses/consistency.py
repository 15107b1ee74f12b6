"""Frame–clip consistency of SViT object tokens (SViT, Ben Avraham et al., NeurIPS 2022; github.com/eladb3/SViT, Sec.
3.3): each video object token
``obj_desc[b,t,o]`` is pulled (L1 or L2) towards the token the same network produces for slot o when
frame t is fed alone as an image; the image side is a no-grad target (stop-gradient).

The released code never produced this term (a weight-key mismatch); here it is computed as
intended and switched by SVIT.LAMBDA_CON. Which tokens are compared (pre/post head dropout) and the
mode of the frame pass (eval/train) are configurable: SVIT.CON_FEATURES, SVIT.CON_TARGET_MODE.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from fvcore.common.config import CfgNode

from svit.losses.registry import LOSS_REGISTRY

FEATURE_KEYS = {"pre_dropout": "obj_desc_pre_dropout", "post_dropout": "obj_desc"}


def consistency_term_name(kind: str) -> str:
    """Name of the produced term (the key the original meant to weight)."""
    return f"video_image_desc_{kind}_loss"


def consistency_loss(video_tokens: torch.Tensor, frame_tokens: torch.Tensor, kind: str = "l1") -> torch.Tensor:
    """Mean element-wise L1 (``kind="l1"``) or squared error (``"l2"``) between video tokens
    ``(B, T_in, O, C)`` and the frame-pass tokens of the same shape; the frame side is detached."""
    if video_tokens.shape != frame_tokens.shape:
        raise ValueError(
            f"video tokens {tuple(video_tokens.shape)} and frame tokens {tuple(frame_tokens.shape)} differ"
        )
    target = frame_tokens.detach().to(video_tokens.dtype)
    if kind == "l1":
        return F.l1_loss(video_tokens, target)
    if kind == "l2":
        return F.mse_loss(video_tokens, target)
    raise ValueError(f"SVIT.CON_LOSS must be l1 or l2, got {kind!r}")


@torch.no_grad()
def frame_tokens_for_clip(
    model: nn.Module, clip: torch.Tensor, mode: str = "eval", features: str = "pre_dropout"
) -> torch.Tensor:
    """Runs every frame of ``clip (B, C, T_in, H, W)`` through ``model`` as a single image (one
    batch of B·T_in frames, no grad) and returns their object tokens as ``(B, T_in, O, D)``.

    ``mode`` ("eval" or "train") is set for the pass and the model's previous mode restored
    afterwards; ``features`` picks ``obj_desc_pre_dropout`` or ``obj_desc`` (post-dropout, original).
    """
    if mode not in ("eval", "train"):
        raise ValueError(f"SVIT.CON_TARGET_MODE must be eval or train, got {mode!r}")
    if features not in FEATURE_KEYS:
        raise ValueError(f"SVIT.CON_FEATURES must be one of {sorted(FEATURE_KEYS)}, got {features!r}")
    b, c, t_in, h, w = clip.shape
    frames = clip.transpose(1, 2).reshape(b * t_in, c, 1, h, w)  # batch-major, then frame
    was_training = model.training
    model.train(mode == "train")
    try:
        out = model(frames)
    finally:
        model.train(was_training)
    tokens = out[FEATURE_KEYS[features]]  # (B·T_in, 1, O, D)
    return tokens.reshape(b, t_in, tokens.shape[-2], tokens.shape[-1])


@LOSS_REGISTRY.register("frame_clip_consistency")
class FrameClipConsistencyLoss:
    """``outputs`` of the video pass; ``batch["frame_obj_desc"]`` (B,T_in,O,D) from
    ``frame_tokens_for_clip`` (the task computes it, it needs the model). Term name:
    ``video_image_desc_{l1,l2}_loss`` per SVIT.CON_LOSS."""

    def __init__(self, cfg: CfgNode) -> None:
        self.kind = cfg.SVIT.CON_LOSS
        self.feature_key = FEATURE_KEYS[cfg.SVIT.CON_FEATURES]

    def __call__(self, outputs: dict, batch: dict) -> dict[str, torch.Tensor]:
        loss = consistency_loss(outputs[self.feature_key], batch["frame_obj_desc"], self.kind)
        return {consistency_term_name(self.kind): loss}
