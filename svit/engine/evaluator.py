"""Validation (single view, during training) and the multi-view test phase.

Both evaluate the unwrapped model (no DDP) in eval mode on this rank's shard of the data; the
loader visits each sample exactly once over all ranks, and the per-rank results are reduced
(validation) or gathered and de-duplicated (test) before rank 0 reports them.
"""
from __future__ import annotations

import logging
from contextlib import nullcontext
from typing import Any

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from fvcore.common.config import CfgNode

from svit.checkpoint import unwrap
from svit.engine.errors import ResultsError
from svit.engine.meters import topk_correct
from svit.engine.results import aggregate_views, write_results
from svit.utils.distributed import all_gather_objects, all_reduce_sum, is_main_process

logger = logging.getLogger("svit.evaluator")


def to_device(batch: Any, device: torch.device) -> Any:
    """Moves every tensor of a batch (nested dicts/lists/tuples too) to ``device``, non-blocking."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(v, device) for v in batch)
    return batch


def autocast(cfg: CfgNode, device: torch.device):
    """torch.amp autocast for TRAIN.MIXED_PRECISION (bf16 or fp16), else a no-op context."""
    if not cfg.TRAIN.MIXED_PRECISION:
        return nullcontext()
    dtype = torch.bfloat16 if cfg.TRAIN.MIXED_PRECISION_DTYPE == "bfloat16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype)


@torch.no_grad()
def validate(cfg: CfgNode, model: nn.Module, task: Any, loader, device: torch.device) -> dict[str, float]:
    """Single-view top1/top5 (%) and cross-entropy over the whole split (all ranks)."""
    net = unwrap(model)
    was_training = net.training
    net.eval()
    sums = [0.0, 0.0, 0.0, 0.0]  # loss*n, top1, top5, n
    for batch in loader:
        batch = to_device(batch, device)
        with autocast(cfg, device):
            logits = task.eval_logits(net, batch)
        logits = logits.float()
        labels = batch["labels"]
        keep = labels >= 0
        if not keep.any():
            continue
        logits, labels = logits[keep], labels[keep]
        n = labels.numel()
        c1, c5 = topk_correct(logits, labels)
        sums[0] += float(F.cross_entropy(logits, labels, reduction="sum"))
        sums[1] += c1
        sums[2] += c5
        sums[3] += n
    loss, c1, c5, n = all_reduce_sum(sums, device)
    net.train(was_training)
    if n == 0:
        return {"loss": float("nan"), "top1": float("nan"), "top5": float("nan"), "num_samples": 0}
    return {"loss": loss / n, "top1": c1 / n * 100, "top5": c5 / n * 100, "num_samples": int(n)}


def expected_views(cfg: CfgNode, dataset) -> int:
    """TEST.NUM_ENSEMBLE_VIEWS x TEST.NUM_SPATIAL_CROPS, checked against the dataset."""
    views = cfg.TEST.NUM_ENSEMBLE_VIEWS * cfg.TEST.NUM_SPATIAL_CROPS
    ds_views = getattr(dataset, "num_views", views)
    if ds_views != views:
        raise ResultsError(
            f"The test dataset has {ds_views} views per video but TEST.NUM_ENSEMBLE_VIEWS "
            f"{cfg.TEST.NUM_ENSEMBLE_VIEWS} x TEST.NUM_SPATIAL_CROPS {cfg.TEST.NUM_SPATIAL_CROPS} = {views}."
        )
    return views


@torch.no_grad()
def run_test(
    cfg: CfgNode,
    model: nn.Module,
    task: Any,
    loader,
    device: torch.device,
    checkpoint: str | None,
) -> dict[str, Any] | None:
    """Multi-view test: per-view softmax scores, gathered, ensembled per video, written by rank 0.

    Returns the test_results.json content on rank 0 and None elsewhere.
    """
    dataset = loader.dataset
    num_views = expected_views(cfg, dataset)
    net = unwrap(model)
    net.eval()
    idx, views, scores = [], [], []
    for batch in loader:
        if "index" not in batch or "view" not in batch:
            raise ResultsError("Test dataset items must carry 'index' and 'view' (docs/ARCHITECTURE.md).")
        b = to_device(batch, device)
        with autocast(cfg, device):
            logits = task.eval_logits(net, b)
        scores.append(torch.softmax(logits.float(), dim=-1).cpu().numpy())
        idx.append(batch["index"].numpy())
        views.append(batch["view"].numpy())
    local = (
        np.concatenate(idx) if idx else np.zeros(0, np.int64),
        np.concatenate(views) if views else np.zeros(0, np.int64),
        np.concatenate(scores) if scores else None,
    )
    gathered = all_gather_objects(local)
    if not is_main_process():
        return None
    all_idx = np.concatenate([g[0] for g in gathered]).astype(np.int64)
    all_view = np.concatenate([g[1] for g in gathered]).astype(np.int64)
    all_scores = np.concatenate([g[2] for g in gathered if g[2] is not None])
    video_ids = list(getattr(dataset, "video_ids", [str(i) for i in range(len(dataset) // num_views)]))
    num_videos = int(getattr(dataset, "num_videos", len(video_ids)))
    video_scores = aggregate_views(
        all_idx, all_view, all_scores, num_videos, num_views, cfg.TEST.ENSEMBLE_METHOD, video_ids
    )
    labels = np.asarray(getattr(dataset, "labels", [-1] * num_videos), dtype=np.int64)
    protocol = {
        "num_ensemble_views": cfg.TEST.NUM_ENSEMBLE_VIEWS,
        "num_spatial_crops": cfg.TEST.NUM_SPATIAL_CROPS,
        "ensemble_method": cfg.TEST.ENSEMBLE_METHOD,
        "num_frames": cfg.DATA.NUM_FRAMES,
        "test_crop_size": cfg.DATA.TEST_CROP_SIZE,
        "dataset": cfg.TEST.DATASET,
        "split": cfg.TEST.SPLIT,
    }
    results = write_results(
        cfg.OUTPUT_DIR,
        video_scores,
        labels,
        video_ids,
        getattr(dataset, "class_names", None),
        protocol,
        checkpoint,
        getattr(dataset, "split_info", None),
        num_views_evaluated=int(len(np.unique(all_idx * num_views + all_view))),
        save_scores=cfg.TEST.SAVE_RESULTS,
    )
    pct = {k: "n/a" if results[k] is None else f"{results[k]:.2f}" for k in ("top1", "top5", "mean_class_accuracy")}
    logger.info(
        "Test: top1 %s top5 %s mean class acc %s over %d videos (%d unlabelled) x %d views -> %s/test_results.json",
        pct["top1"], pct["top5"], pct["mean_class_accuracy"], results["num_videos"],
        results["num_unlabelled_videos"], num_views, cfg.OUTPUT_DIR,
    )
    return results
