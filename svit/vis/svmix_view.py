"""``visualize.py svmix``: one SV-Mix step on a batch, both modes, from the training run's own parts.

The model, EMA teacher and dataset come from ``build_experiment(cfg, "train")``, the ``svmix`` hook
(its selective module and SVMixParams) from the trainer's ``build_hooks``, and a checkpoint's weights,
EMA and hook state are restored as a resumed run restores them. The step is the hook's: teacher mode
(``set_teacher_mode``), the clean features (``clip_features``), the draw (``draw_step`` with the mode
forced by its switch probability: 1 = spatial, 0 = temporal) and ``svmix_batch``, which returns the
masks, both mixes, λ_sal and the soft targets the task and the selector's loss would see.

Mask overlays: red marks where the online mix takes the partner clip ``x[π]`` (source weight), blue
where the offline mix does (source weight of ``x[π_ofl]``).
"""
from __future__ import annotations

import os

import numpy as np
import torch

from svit.checkpoint import load_checkpoint
from svit.config.errors import ConfigError
from svit.engine.class_labels import shorten
from svit.engine.context import StepContext
from svit.engine.experiment import load_ema_state
from svit.engine.hooks.svmix import set_teacher_mode
from svit.engine.train_state import restore_hooks
from svit.engine.trainer import build_hooks
from svit.svmix.features import clip_features
from svit.svmix.mix import svmix_batch
from svit.svmix.sampling import draw_step
from svit.vis.clips import check_train_videos, picture_of
from svit.vis.drawing import hstack, overlay, write_animation
from svit.vis.figures import class_name, frames_grid, save

ONLINE_COLOR, OFFLINE_COLOR = (255, 0, 0), (0, 90, 255)


def svmix_parts(exp, checkpoint: str | None):
    """(hook, teacher) of the ``svmix`` hook built the trainer's way, with ``checkpoint`` restored."""
    cfg = exp.cfg
    if exp.ema is None or not cfg.SVMIX.ENABLE:
        raise ConfigError("visualize.py svmix needs SVMIX.ENABLE True and MODEL_EMA.ENABLE True (an SV-Mix config)")
    ctx = StepContext(cfg, exp.device, exp.net, exp.net, exp.ema, num_classes=cfg.MODEL.NUM_CLASSES)
    slots = build_hooks(cfg, ctx)
    slot = next((s for s in slots if s.name == "svmix"), None)
    if slot is None:
        raise ConfigError("visualize.py svmix: TRAIN.HOOKS has no 'svmix' hook")
    if checkpoint:
        report = load_checkpoint(checkpoint, exp.net, strict=True)
        ckpt = report.checkpoint if isinstance(report.checkpoint, dict) else {}
        if not load_ema_state(exp.ema, ckpt, checkpoint):
            exp.ema.copy_from(exp.net)
        restore_hooks([slot], ckpt.get("hook_state"), checkpoint)
    return slot.hook, exp.ema.module


def load_batch(exp, videos: list[int], seed: int) -> tuple[torch.Tensor, torch.Tensor, list]:
    """Training-pipeline clips ``(B, C, T, H, W)``, labels and records of the chosen videos."""
    ds = exp.dataset
    check_train_videos(ds, videos)
    samples = [ds.load(v, 0, np.random.default_rng(seed + v)) for v in videos]
    x = torch.stack([s["inputs"] for s in samples]).to(exp.device)
    labels = torch.as_tensor([int(s["label"]) for s in samples], device=exp.device)
    return x, labels, [ds.records[v] for v in videos]


def mix_step(hook, teacher, x: torch.Tensor, labels: torch.Tensor, mode: str):
    """The hook's step with the mode forced; returns (draw, SVMixBatch)."""
    s = hook.cfg.SVMIX
    draw = draw_step(x.shape[0], mix_prob=1.0, switch_prob=1.0 if mode == "spatial" else 0.0,
                     spatial_alpha=float(s.SPATIAL_ALPHA), temporal_alpha=float(s.TEMPORAL_ALPHA),
                     offline_alpha=float(s.OFFLINE_ALPHA))
    set_teacher_mode(teacher)
    with torch.no_grad():
        feats = clip_features(teacher, x)
        mixed = svmix_batch(hook.selector, feats, x, labels, draw, hook.params)
    return draw, mixed


def target_text(target: torch.Tensor, names, k: int = 2) -> str:
    vals, idx = target.float().topk(k)
    return "\n".join(f"  {v:.2f} {shorten(class_name(names, int(i)), 34)}" for v, i in zip(vals.tolist(), idx.tolist()))


def render_svmix(exp, checkpoint: str | None, videos: list[int], out: str, seed: int = 0,
                 animation: str = "gif") -> list[str]:
    """One PNG (and animation) per mode: clean, online mask, online mix, offline mask, offline mix."""
    if len(videos) < 2:
        raise ValueError("visualize.py svmix needs at least 2 videos (--videos): SV-Mix mixes clips of a batch")
    hook, teacher = svmix_parts(exp, checkpoint)
    cfg = exp.cfg
    names = getattr(exp.dataset, "class_names", None)
    x, labels, records = load_batch(exp, videos, seed)
    written = []
    for mode in ("spatial", "temporal"):
        torch.manual_seed(seed)
        draw, mixed = mix_step(hook, teacher, x, labels, mode)
        rows, texts = [], []
        for i, rec in enumerate(records):
            clean = picture_of(cfg, x[i]).frames
            on = mixed.source_online[i].cpu().numpy()
            off = mixed.source_offline[i].cpu().numpy()
            partner, partner_ofl = records[int(draw.perm[i])], records[int(draw.perm_ofl[i])]
            rows += [
                (f"{rec.video_id} clean", clean),
                (f"online mask\n(red: from {partner.video_id})", np.stack([overlay(f, m, ONLINE_COLOR, 0.6)
                                                                         for f, m in zip(clean, on)])),
                ("online mix", picture_of(cfg, mixed.x_online[i]).frames),
                (f"offline mask\n(blue: from {partner_ofl.video_id})",
                 np.stack([overlay(f, m, OFFLINE_COLOR, 0.6) for f, m in zip(clean, off)])),
                ("offline mix", picture_of(cfg, mixed.x_offline[i]).frames),
            ]
            texts += [
                f"video {rec.video_id}: {shorten(class_name(names, int(labels[i])), 34)}",
                f"online source share {float(on.mean()):.2f}\nλ {draw.lam:.2f}  λ_sal {float(mixed.lam_sal[i]):.2f}"
                + ("  (extreme λ: plain mixup)" if mixed.extreme else ""),
                "online target:\n" + target_text(mixed.target_online[i], names),
                f"offline source share {float(off.mean()):.2f}\nλ_ofl {draw.lam_ofl:.2f}",
                "offline target:\n" + target_text(mixed.target_offline[i], names),
            ]
        ckpt = (os.path.join(*os.path.normpath(checkpoint).split(os.sep)[-3:]) if checkpoint
                else "no checkpoint (initial weights)")
        title = (f"SV-Mix {mode} mode - {cfg.MODEL.MODEL_NAME}, {ckpt}; videos "
                 + ", ".join(r.video_id for r in records) + "\nmasks: share of each pixel taken from the partner clip")
        cols = [f"frame {k + 1}" for k in range(x.shape[2])]
        fig = frames_grid(rows, title, cols, [("online source (partner π)", ONLINE_COLOR),
                                              ("offline source (partner π_ofl)", OFFLINE_COLOR)], side_text=texts)
        written.append(save(fig, os.path.join(out, f"svmix_{mode}.png")))
        if animation:
            frames = [hstack([r[1][k] for r in rows[:5]]) for k in range(x.shape[2])]
            written.append(write_animation(frames, os.path.join(out, f"svmix_{mode}.{animation}")))
    return written
