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


def draw_frames(num_frames: int, count: int) -> torch.Tensor | None:
    """``count`` sorted distinct frame indices below ``num_frames``, drawn with torch's global RNG (so a
    seeded run repeats them); None when ``count`` is 0 or covers every frame (the whole clip)."""
    if count < 0:
        raise ValueError(f"SVIT.CON_FRAMES must be >= 0, got {count}")
    if count == 0 or count >= num_frames:
        return None
    return torch.randperm(num_frames)[:count].sort().values


@torch.no_grad()
def frame_tokens_for_clip(
    model: nn.Module,
    clip: torch.Tensor,
    mode: str = "eval",
    features: str = "pre_dropout",
    frames: torch.Tensor | None = None,
) -> torch.Tensor:
    """Runs every frame of ``clip (B, C, T_in, H, W)`` (or only the frame indices ``frames``, K of them)
    through ``model`` as a single image (one batch of B·T_in or B·K frames, no grad) and returns their
    object tokens as ``(B, T_in or K, O, D)``.

    ``mode`` ("eval" or "train") is set for the pass and the model's previous mode restored
    afterwards; ``features`` picks ``obj_desc_pre_dropout`` or ``obj_desc`` (post-dropout, original).
    """
    if mode not in ("eval", "train"):
        raise ValueError(f"SVIT.CON_TARGET_MODE must be eval or train, got {mode!r}")
    if features not in FEATURE_KEYS:
        raise ValueError(f"SVIT.CON_FEATURES must be one of {sorted(FEATURE_KEYS)}, got {features!r}")
    if frames is not None:
        clip = clip.index_select(2, frames.to(clip.device))
    b, c, t_in, h, w = clip.shape
    singles = clip.transpose(1, 2).reshape(b * t_in, c, 1, h, w)  # batch-major, then frame
    was_training = model.training
    model.train(mode == "train")
    try:
        out = model(singles)
    finally:
        model.train(was_training)
    tokens = out[FEATURE_KEYS[features]]  # (B·T_in, 1, O, D)
    return tokens.reshape(b, t_in, tokens.shape[-2], tokens.shape[-1])


@LOSS_REGISTRY.register("frame_clip_consistency")
class FrameClipConsistencyLoss:
    """``outputs`` of the video pass; ``batch["frame_obj_desc"]`` (B,T_in,O,D) from
    ``frame_tokens_for_clip`` (the task computes it, it needs the model), or (B,K,O,D) for the frame
    indices ``batch["frame_index"]`` (SVIT.CON_FRAMES): then only those video tokens are compared. Term
    name: ``video_image_desc_{l1,l2}_loss`` per SVIT.CON_LOSS."""

    def __init__(self, cfg: CfgNode) -> None:
        self.kind = cfg.SVIT.CON_LOSS
        self.feature_key = FEATURE_KEYS[cfg.SVIT.CON_FEATURES]

    def __call__(self, outputs: dict, batch: dict) -> dict[str, torch.Tensor]:
        video = outputs[self.feature_key]
        index = batch.get("frame_index")
        if index is not None:
            video = video.index_select(1, index.to(video.device))
        loss = consistency_loss(video, batch["frame_obj_desc"], self.kind)
        return {consistency_term_name(self.kind): loss}
