"""``visualize.py data``: what the config feeds the model, train and test pipelines side by side.

The training dataset comes from ``build_experiment(cfg, "train")``. For each chosen video of the
training split, two draws of the training pipeline (crops, RandAugment, flips, box transforms) are
shown next to every view of the test pipeline (temporal clips x spatial crops) of the same video:
the dataset's own class built for the "test" split on that video's record, as ``tools/predict.py``
builds its inputs.
"""
from __future__ import annotations

import os

import numpy as np
from fvcore.common.config import CfgNode

from svit.vis.clips import check_train_videos, picture_of
from svit.vis.drawing import hstack, write_animation
from svit.vis.figures import class_name, contact_text, frames_grid, save, slot_legend


def test_views_of(train_ds, cfg: CfgNode, record) -> list[dict]:
    """Every test view of ``record`` through the test pipeline (TEST.* views, DATA.TEST_CROP_SIZE)."""
    one = type(train_ds)(cfg, "test", [record], train_ds.class_names, cfg.MODEL.NUM_CLASSES)
    rng = np.random.default_rng(cfg.RNG_SEED)
    return [one.load(0, v, rng) for v in range(one.num_views)]


def render_data(train_exp, videos: list[int], out: str, seed: int = 0, animation: str = "gif") -> list[str]:
    """One PNG grid (and one animation) per video index of the training split; returns the paths."""
    train_ds = train_exp.dataset
    cfg = train_exp.cfg
    names = getattr(train_ds, "class_names", None)
    check_train_videos(train_ds, videos)
    written = []
    for vid in videos:
        record = train_ds.records[vid]
        rows, texts = [], []
        for draw in range(2):
            sample = train_ds.load(vid, 0, np.random.default_rng(seed + draw))
            pic = picture_of(cfg, sample["inputs"], sample["boxes"], sample["box_mask"])
            rows.append((f"train draw {draw + 1}", pic.frames))
            texts.append(contact_text(pic.contact))
        spatial = max(1, int(cfg.TEST.NUM_SPATIAL_CROPS))
        for v, sample in enumerate(test_views_of(train_ds, cfg, record)):
            t_idx, s_idx = divmod(v, spatial)
            pic = picture_of(cfg, sample["inputs"], sample["boxes"], sample["box_mask"])
            rows.append((f"test clip {t_idx + 1} crop {s_idx + 1}", pic.frames))
            texts.append(contact_text(pic.contact))
        label = class_name(names, record.label)
        title = (f"video {record.video_id} ({record.path}) - label: {label}\n"
                 f"train pipeline (2 random draws) vs test pipeline ({cfg.TEST.NUM_ENSEMBLE_VIEWS} clips x "
                 f"{spatial} crops), de-normalised")
        cols = [f"frame {k + 1}" for k in range(len(rows[0][1]))]
        fig = frames_grid(rows, title, cols, slot_legend(), side_text=texts)
        written.append(save(fig, os.path.join(out, f"data_{record.video_id}.png")))
        if animation:
            frames = [hstack([r[1][k] for r in rows if k < len(r[1])]) for k in range(len(rows[0][1]))]
            written.append(write_animation(frames, os.path.join(out, f"data_{record.video_id}.{animation}")))
    return written
