"""Validation (single view, during training) and the multi-view test phase; both report the
registered metrics (svit/engine/metrics/: TRAIN.EVAL_METRICS and TEST.METRICS).

Both evaluate the unwrapped model (no DDP) in eval mode on this rank's shard of the data; the
loader visits each sample exactly once over all ranks, and the per-rank results are reduced
(validation) or gathered and de-duplicated (test) before rank 0 reports them.
"""
from __future__ import annotations

import logging
from typing import Any

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from fvcore.common.config import CfgNode

from svit.checkpoint import unwrap
from svit.config import ConfigError
from svit.engine import protocols
from svit.engine.bad_samples import check_bad_fraction, evaluation_keep, readable_batches
from svit.engine.cuda_graphs import graphed_eval
from svit.engine.device import amp_dtype, autocast, to_device
from svit.engine.errors import ResultsError
from svit.engine.host_copy import HostCopy
from svit.engine.metrics import MetricInput, evaluate_metrics
from svit.engine.progress import eval_progress
from svit.engine.results import aggregate_views, model_metrics, write_results
from svit.engine.split_rows import SplitRows
from svit.utils.distributed import all_gather_objects, all_reduce_sum, is_main_process

logger = logging.getLogger("svit.evaluator")


def as_models(model: nn.Module | dict[str, nn.Module]) -> dict[str, nn.Module]:
    """``{"online": model}`` for one model; a dict of named models (online first) as it is."""
    return dict(model) if isinstance(model, dict) else {"online": model}


def metric_key(model_name: str, key: str) -> str:
    """Validation keys: the online model's plain (``top1``), the others prefixed (``ema_top1``)."""
    return key if model_name == "online" else f"{model_name}_{key}"


@torch.no_grad()
def validate(
    cfg: CfgNode, model: nn.Module | dict[str, nn.Module], task: Any, loader, device: torch.device
) -> dict[str, Any]:
    """Single-view cross-entropy and the entries of the TRAIN.EVAL_METRICS metrics (default ``topk``:
    top1/top5 %) over the whole split (all ranks), for one model or for each of several named models
    (online, ema) on the same batches.

    The loss is summed on the device; each batch's softmax scores travel to the host one batch late
    (no wait per batch), and the registered metrics (svit/engine/metrics/) see every rank's rows at the
    end, as the test phase's metrics see its per-video scores."""
    nets = {name: unwrap(m) for name, m in as_models(model).items()}
    was_training = {name: net.training for name, net in nets.items()}
    for net in nets.values():
        net.eval()
    loss_sums = {name: torch.zeros((), dtype=torch.float64, device=device) for name in nets}
    rows = SplitRows(list(nets))
    bad_seen_n = [0, 0, 0]  # unreadable samples (no prediction), samples, samples with a prediction
    for batch in eval_progress(loader, "val", is_main_process(), cfg.LOG_PERIOD):
        keep = evaluation_keep(batch)  # on the host copy of the batch: no device read
        bad_seen_n[0] += int(batch.get("num_bad", 0))
        bad_seen_n[1] += keep.numel()
        n_keep = int(keep.sum())
        if n_keep == 0:
            continue
        bad_seen_n[2] += n_keep
        rows.add_batch(batch, keep)
        batch = to_device(batch, device)
        kept = None if n_keep == keep.numel() else keep.nonzero()[:, 0].to(device, non_blocking=True)
        labels = batch["labels"] if kept is None else batch["labels"].index_select(0, kept)
        for name, net in nets.items():
            with autocast(cfg, device):
                logits = task.eval_logits(graphed_eval(cfg, net, device, amp_dtype(cfg)), batch)
            logits = logits.float() if kept is None else logits.float().index_select(0, kept)
            loss_sums[name] += F.cross_entropy(logits, labels, reduction="sum").to(torch.float64)
            rows.add_scores(name, torch.softmax(logits, dim=-1))
        rows.end_batch()
    bad, seen = all_reduce_sum(bad_seen_n[:2], device)
    check_bad_fraction(cfg, bad, seen, "validation", replaced=False)
    inputs = rows.metric_inputs(cfg.MODEL.NUM_CLASSES, loader.dataset)
    out: dict[str, Any] = {"num_bad": int(bad)}
    for name, net in nets.items():
        loss, n = all_reduce_sum([loss_sums[name].item(), bad_seen_n[2]], device)
        net.train(was_training[name])
        values = {"loss": loss / n if n else float("nan"), **split_metrics(cfg, inputs[name])}
        if name == "online":
            values["num_samples"] = int(n)
        out.update({metric_key(name, k): v for k, v in values.items()})
    return out


# Fields of every val row besides the metric entries: a metric returning one of them would hide it.
VAL_FIELDS = ("loss", "num_samples", "num_bad")


def split_metrics(cfg: CfgNode, inp: MetricInput) -> dict[str, Any]:
    """The entries of the TRAIN.EVAL_METRICS metrics over one model's val rows (single view, no files:
    ``output_dir`` is None); NaN where undefined, as stats.jsonl has always written it."""
    entries = evaluate_metrics(cfg.TRAIN.EVAL_METRICS, inp, key="TRAIN.EVAL_METRICS")
    clash = [k for k in VAL_FIELDS if k in entries]
    if clash:
        raise ConfigError(f"TRAIN.EVAL_METRICS {list(cfg.TRAIN.EVAL_METRICS)} returns {clash}, a field every "
                          f"val row already has ({', '.join(VAL_FIELDS)}): rename the metric's entry.")
    return entries


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
    model: nn.Module | dict[str, nn.Module],
    task: Any,
    loader,
    device: torch.device,
    checkpoint: str | None,
) -> dict[str, Any] | None:
    """Multi-view test: per-view softmax scores, gathered, ensembled per video, written by rank 0.

    With several named models (online, ema) every view goes through each of them; the result files
    and the top-level metrics of test_results.json describe MODEL_EMA.EVAL_MODEL, and each model's
    metrics are added under its name. Returns the test_results.json content on rank 0, else None.
    """
    dataset = loader.dataset
    num_views = expected_views(cfg, dataset)
    nets = {name: unwrap(m).eval() for name, m in as_models(model).items()}
    idx, views = [], []
    scores: dict[str, list] = {name: [] for name in nets}
    # each batch's scores are copied to the host behind the next batch and read then, so the loop never
    # waits for the device (copied out of the pinned buffer, which the next copies reuse)
    in_flight: list[tuple[str, HostCopy]] = []
    # readable_batches: unreadable videos get no prediction (the aggregation reports them as incomplete)
    for batch in readable_batches(eval_progress(loader, "test", is_main_process())):
        if "index" not in batch or "view" not in batch:
            raise ResultsError("Test dataset items must carry 'index' and 'view' (docs/ARCHITECTURE.md).")
        b = to_device(batch, device)
        launched: list[tuple[str, HostCopy]] = []
        for name, net in nets.items():
            with autocast(cfg, device):
                logits = task.eval_logits(graphed_eval(cfg, net, device, amp_dtype(cfg)), b)
            launched.append((name, HostCopy(torch.softmax(logits.float(), dim=-1))))
        for name, copy in in_flight:
            scores[name].append(copy.wait().numpy().copy())
        in_flight = launched
        idx.append(batch["index"].numpy())
        views.append(batch["view"].numpy())
    for name, copy in in_flight:
        scores[name].append(copy.wait().numpy().copy())
    local = (
        np.concatenate(idx) if idx else np.zeros(0, np.int64),
        np.concatenate(views) if views else np.zeros(0, np.int64),
        {name: np.concatenate(s) if s else None for name, s in scores.items()},
    )
    gathered = all_gather_objects(local)
    if not is_main_process():
        return None
    all_idx = np.concatenate([g[0] for g in gathered]).astype(np.int64)
    all_view = np.concatenate([g[1] for g in gathered]).astype(np.int64)
    video_ids = list(getattr(dataset, "video_ids", [str(i) for i in range(len(dataset) // num_views)]))
    num_videos = int(getattr(dataset, "num_videos", len(video_ids)))
    labels = np.asarray(getattr(dataset, "labels", [-1] * num_videos), dtype=np.int64)
    # A video with no readable view is a missing prediction: named, counted, limited by
    # DATA.MAX_BAD_FRACTION, and left out of the metrics (never replaced by another video).
    seen = np.zeros(num_videos, dtype=bool)
    seen[all_idx[(all_idx >= 0) & (all_idx < num_videos)]] = True
    missing_videos = [video_ids[i] for i in np.nonzero(~seen)[0]]
    if missing_videos:
        logger.warning("Test: %d of %d videos were unreadable and have no prediction (e.g. %s)",
                       len(missing_videos), num_videos, ", ".join(missing_videos[:5]))
        check_bad_fraction(cfg, len(missing_videos), num_videos, "test", replaced=False)
        new_index = np.cumsum(seen) - 1
        all_idx = new_index[all_idx]
        video_ids = [v for v, k in zip(video_ids, seen) if k]
        labels = labels[seen]
        num_videos = len(video_ids)
    video_scores, view_scores = {}, {}
    for name in nets:
        all_scores = np.concatenate([g[2][name] for g in gathered if g[2][name] is not None])
        view_scores[name] = all_scores
        video_scores[name] = aggregate_views(
            all_idx, all_view, all_scores, num_videos, num_views, cfg.TEST.ENSEMBLE_METHOD, video_ids
        )
    chosen = cfg.MODEL_EMA.EVAL_MODEL if cfg.MODEL_EMA.EVAL_MODEL in nets else "online"
    per_model = None
    if len(nets) > 1:
        per_model = {name: model_metrics(s, labels, cfg.TEST.METRICS) for name, s in video_scores.items()}
    protocol = {
        "num_ensemble_views": cfg.TEST.NUM_ENSEMBLE_VIEWS,
        "num_spatial_crops": cfg.TEST.NUM_SPATIAL_CROPS,
        "ensemble_method": cfg.TEST.ENSEMBLE_METHOD,
        "num_frames": cfg.DATA.NUM_FRAMES,
        "test_crop_size": cfg.DATA.TEST_CROP_SIZE,
        "dataset": cfg.TEST.DATASET,
        "split": cfg.TEST.SPLIT,
        # TEST.PROTOCOL: the seeds' named protocols and their readouts (svit/engine/protocols.py)
        "protocol": protocols.describe(cfg, protocols.current_pass(cfg)),
    }
    readouts = protocols.readouts(cfg, protocols.current_pass(cfg), all_idx, all_view, view_scores[chosen], labels,
                                  num_videos)
    results = write_results(
        cfg.OUTPUT_DIR,
        video_scores[chosen],
        labels,
        video_ids,
        getattr(dataset, "class_names", None),
        protocol,
        checkpoint,
        getattr(dataset, "split_info", None),
        num_views_evaluated=int(len(np.unique(all_idx * num_views + all_view))),
        save_scores=cfg.TEST.SAVE_RESULTS,
        evaluated_model=chosen,
        per_model=per_model,
        extra={**({"protocol_results": readouts} if readouts else {}),
               "missing_videos": missing_videos, "num_missing_videos": len(missing_videos)},
        metrics=cfg.TEST.METRICS,
    )
    pct = {k: "n/a" if results.get(k) is None else f"{results[k]:.2f}" for k in ("top1", "top5", "mean_class_accuracy")}
    logger.info(
        "Test (%s model): top1 %s top5 %s mean class acc %s over %d videos (%d unlabelled) x %d views -> "
        "%s/test_results.json",
        chosen, pct["top1"], pct["top5"], pct["mean_class_accuracy"], results["num_videos"],
        results["num_unlabelled_videos"], num_views, cfg.OUTPUT_DIR,
    )
    for name, m in (per_model or {}).items():
        logger.info("Test (%s model): top1 %s top5 %s", name, m.get("top1"), m.get("top5"))
    return results
