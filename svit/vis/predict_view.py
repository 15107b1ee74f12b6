"""``visualize.py predict``: what a checkpoint says about a video, view by view.

The test protocol is the config's (TEST.NUM_ENSEMBLE_VIEWS clips x TEST.NUM_SPATIAL_CROPS crops,
softmax per view, TEST.ENSEMBLE_METHOD over views, as ``tools/predict.py`` and the test phase score).
Rows: each view's frames as the model sees them (de-normalised); for SViT, the boxes its object tokens
predict (slots whose existence probability is above 0.5, in the slot colours) and the contact state
each hand token predicts. Side text: the view's top class and its score for the ensemble's top-5.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch

from svit.engine.class_labels import shorten
from svit.engine.results import aggregate_views
from svit.vis.clips import picture_of
from svit.vis.drawing import SLOT_COLORS, draw_box, hstack, write_animation
from svit.vis.figures import class_name, frames_grid, save, slot_legend

#: The 100DOH contact states SViT's hand tokens predict (svit/models/svit.py NUM_CONTACT_STATES).
CONTACT_100DOH = ("none", "self", "other person", "portable obj.", "stationary obj.")


@dataclass
class ViewScores:
    """Per-view softmax ``(V, K)``, the ensembled scores ``(K,)`` and the raw outputs per view."""

    per_view: np.ndarray
    ensemble: np.ndarray
    outputs: dict | None


@torch.no_grad()
def score_views(cfg, net: torch.nn.Module, clips: torch.Tensor) -> ViewScores:
    out = net.eval()(clips)
    logits = out["logits"] if isinstance(out, dict) else out
    probs = torch.softmax(logits.float(), dim=-1).cpu().numpy()
    views = np.arange(len(probs))
    ens = aggregate_views(np.zeros_like(views), views, probs, 1, len(probs), cfg.TEST.ENSEMBLE_METHOD)[0]
    return ViewScores(probs, ens, out if isinstance(out, dict) else None)


def draw_predicted_boxes(frames: np.ndarray, pred_bboxes: torch.Tensor) -> np.ndarray:
    """SViT's ``pred_bboxes`` ``(T_in, O, 5)`` [existence logit, cx, cy, w, h] (normalised) drawn on
    ``frames`` ``(T, H, W, 3)``; frame k uses the object tokens of input frame k."""
    frames = frames.copy()
    t, h, w = frames.shape[:3]
    p = pred_bboxes.float().cpu()
    for k in range(min(t, p.shape[0])):
        for o in range(p.shape[1]):
            exist, cx, cy, bw, bh = p[k, o].tolist()
            if torch.sigmoid(torch.tensor(exist)) <= 0.5:
                continue
            box = [(cx - bw / 2) * (w - 1), (cy - bh / 2) * (h - 1), (cx + bw / 2) * (w - 1), (cy + bh / 2) * (h - 1)]
            draw_box(frames[k], box, SLOT_COLORS[o % len(SLOT_COLORS)])
    return frames


def view_text(k: int, scores: ViewScores, names, top5: list[int], outputs: dict | None) -> str:
    p = scores.per_view[k]
    best = int(p.argmax())
    lines = [f"view {k + 1}: top-1 {p[best]:.2f} {shorten(class_name(names, best), 32)}",
             "scores of the ensemble's top-5: " + " ".join(f"{p[c]:.2f}" for c in top5)]
    if outputs is not None and "pred_contact_state" in outputs:
        states = outputs["pred_contact_state"][k].argmax(-1).cpu().numpy()  # (T_in, 2)
        first = " / ".join(CONTACT_100DOH[int(s)] for s in states[0])
        lines.append(f"contact h0 / h1 (frame 1): {first}")
    return "\n".join(lines)


def render_predict(cfg, net: torch.nn.Module, views: list[dict], video_id: str, names, checkpoint: str,
                   out: str, label: int | None = None, animation: str = "gif") -> list[str]:
    """One PNG (and animation) of one video's views; ``views`` are dataset samples (``inputs``...)."""
    device = next(net.parameters()).device
    clips = torch.stack([v["inputs"] for v in views]).to(device)
    scores = score_views(cfg, net, clips)
    top5 = [int(c) for c in np.argsort(-scores.ensemble)[:5]]
    spatial = max(1, int(cfg.TEST.NUM_SPATIAL_CROPS))
    rows, texts = [], []
    for k in range(len(views)):
        frames = picture_of(cfg, views[k]["inputs"]).frames
        if scores.outputs is not None and "pred_bboxes" in scores.outputs:
            frames = draw_predicted_boxes(frames, scores.outputs["pred_bboxes"][k])
        t_idx, s_idx = divmod(k, spatial)
        rows.append((f"clip {t_idx + 1} crop {s_idx + 1}", frames))
        texts.append(view_text(k, scores, names, top5, scores.outputs))
    truth = f", true: {class_name(names, label)}" if label is not None and label >= 0 else ""
    top = [f"{i + 1}. {class_name(names, c)} {scores.ensemble[c]:.2f}" for i, c in enumerate(top5)]
    title = (f"video {video_id}{truth} - {cfg.MODEL.MODEL_NAME}, checkpoint {checkpoint}\n"
             f"top-5 ({cfg.TEST.ENSEMBLE_METHOD} of {len(views)} views): " + "; ".join(top[:3])
             + ("\n" + "; ".join(top[3:]) if len(top) > 3 else ""))
    legend = slot_legend() if scores.outputs is not None and "pred_bboxes" in scores.outputs else None
    cols = [f"frame {k + 1}" for k in range(len(rows[0][1]))]
    fig = frames_grid(rows, title, cols, legend, side_text=texts)
    written = [save(fig, os.path.join(out, f"predict_{video_id}.png"))]
    if animation:
        frames = [hstack([r[1][k] for r in rows]) for k in range(len(rows[0][1]))]
        written.append(write_animation(frames, os.path.join(out, f"predict_{video_id}.{animation}")))
    return written
