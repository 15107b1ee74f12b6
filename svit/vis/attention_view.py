"""``visualize.py attention``: where the model looks, over the frames of each test view.

``--method auto`` uses attention rollout for the families ``svit.vis.rollout_families`` chains (MViT,
SViT, UniFormer, ViViT, Video Swin, the Side4Video side network) and Grad-CAM (``svit.vis.gradcam``)
for every other family; ``rollout`` or ``gradcam`` force one. The token-grid relevance is spread over
the frames its time step covers and resized bilinearly to the crop; colours share one scale per clip.
"""
from __future__ import annotations

import os

import numpy as np
import torch

from svit.engine.class_labels import shorten
from svit.vis.clips import picture_of
from svit.vis.drawing import heat_overlay, hstack, write_animation
from svit.vis.figures import class_name, frames_grid, save
from svit.vis.gradcam import gradcam
from svit.vis.rollout_families import RolloutUnsupported, relevance

METHODS = ("auto", "rollout", "gradcam")


def heat_per_frame(rel: np.ndarray, frames: int) -> np.ndarray:
    """``(t', h', w')`` relevance -> ``(frames, h', w')``: input frame k takes time step k·t'/frames."""
    t = rel.shape[0]
    return np.stack([rel[min(t - 1, k * t // frames)] for k in range(frames)])


def heat_maps(net: torch.nn.Module, clips: torch.Tensor, method: str) -> tuple[np.ndarray, torch.Tensor, str]:
    """``(maps (B, t', h', w'), logits, description)``."""
    if method not in METHODS:
        raise ValueError(f"--method must be one of {METHODS}, got {method!r}")
    if method in ("auto", "rollout"):
        try:
            rel, logits, what = relevance(net.eval(), clips)
            return rel.cpu().numpy(), logits, "attention " + what
        except RolloutUnsupported:
            if method == "rollout":
                raise

    cam, logits = gradcam(net, clips)
    return cam, logits, f"Grad-CAM (grad-cam library) of {type(net).__name__}'s feature map for the top class"


def render_attention(cfg, net: torch.nn.Module, views: list[dict], video_id: str, names, checkpoint: str,
                     out: str, method: str = "auto", label: int | None = None, animation: str = "gif") -> list[str]:
    device = next(net.parameters()).device
    clips = torch.stack([v["inputs"] for v in views]).to(device)
    maps, logits, what = heat_maps(net, clips, method)
    probs = torch.softmax(logits.float(), -1).cpu()
    spatial = max(1, int(cfg.TEST.NUM_SPATIAL_CROPS))
    rows, texts = [], []
    for k in range(len(views)):
        frames = picture_of(cfg, views[k]["inputs"]).frames
        heat = heat_per_frame(maps[k], len(frames))
        t_idx, s_idx = divmod(k, spatial)
        rows.append((f"clip {t_idx + 1} crop {s_idx + 1}", frames))
        lo, hi = float(heat.min()), float(heat.max())  # one scale per clip: frames compare
        rows.append(("where it looks", np.stack([heat_overlay(f, h, lo=lo, hi=hi) for f, h in zip(frames, heat)])))
        top = int(probs[k].argmax())
        texts += [f"view {k + 1}: {shorten(class_name(names, top), 34)}\np = {probs[k, top]:.2f}",
                  "red: high, blue: low\n(one scale per clip)"]
    truth = f", true: {class_name(names, label)}" if label is not None and label >= 0 else ""
    title = f"video {video_id}{truth} - {cfg.MODEL.MODEL_NAME}, checkpoint {checkpoint}\n{what}"
    cols = [f"frame {k + 1}" for k in range(len(rows[0][1]))]
    written = [save(frames_grid(rows, title, cols, side_text=texts), os.path.join(out, f"attention_{video_id}.png"))]
    if animation:
        frames = [hstack([r[1][k] for r in rows]) for k in range(len(rows[0][1]))]
        written.append(write_animation(frames, os.path.join(out, f"attention_{video_id}.{animation}")))
    return written
