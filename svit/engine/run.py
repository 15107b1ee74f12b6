"""What one process of a run does: train (TRAIN.ENABLE), then the multi-view test (TEST.ENABLE)."""
from __future__ import annotations

import logging
import os
from typing import Any

import torch
from fvcore.common.config import CfgNode

from svit.checkpoint import last_checkpoint, load_checkpoint
from svit.data.loader import build_dataset, build_loader
from svit.engine.evaluator import run_test
from svit.engine.names import check_registered_names
from svit.engine.trainer import Trainer, build_model_seeded, sync_num_classes, write_config
from svit.utils.distributed import get_rank
from svit.utils.logging import setup_logging

logger = logging.getLogger("svit.run")


def resolve_test_checkpoint(cfg: CfgNode) -> tuple[str | None, str]:
    """(path, type) to test: TEST.CHECKPOINT_FILE_PATH, else newest in OUTPUT_DIR, else TRAIN's."""
    if cfg.TEST.CHECKPOINT_FILE_PATH:
        return cfg.TEST.CHECKPOINT_FILE_PATH, cfg.TEST.CHECKPOINT_TYPE
    newest = last_checkpoint(cfg.OUTPUT_DIR)
    if newest:
        return newest, "pytorch"
    if cfg.TRAIN.CHECKPOINT_FILE_PATH:
        return cfg.TRAIN.CHECKPOINT_FILE_PATH, cfg.TRAIN.CHECKPOINT_TYPE
    return None, "pytorch"


def test_phase(cfg: CfgNode, device: torch.device, model=None, task=None, checkpoint: str | None = None) -> Any:
    """Multi-view test of ``model`` (just trained) or of the resolved checkpoint (test-only run)."""
    from svit.engine.tasks import build_task

    dataset = build_dataset(cfg, "test")
    if model is None:
        sync_num_classes(cfg, dataset)
        model = build_model_seeded(cfg, device)
        checkpoint, ckpt_type = resolve_test_checkpoint(cfg)
        if checkpoint:
            # A checkpoint chosen for testing must fit exactly (missing/unexpected/reshaped keys are
            # an error); only the TRAIN.CHECKPOINT_FILE_PATH fallback, an initialisation, may not.
            strict = checkpoint != cfg.TRAIN.CHECKPOINT_FILE_PATH or bool(cfg.TEST.CHECKPOINT_FILE_PATH)
            load_checkpoint(
                checkpoint, model, strict=strict, checkpoint_type=ckpt_type,
                replace_patterns=cfg.TRAIN.CHECKPOINT_REPLACE_NAME_PATTERN,
            )
        else:
            logger.warning("No checkpoint to test: testing the randomly initialised model")
        task = build_task(cfg, model, device)
    loader = build_loader(cfg, "test", dataset)
    return run_test(cfg, model, task, loader, device, checkpoint)


def run_phases(cfg: CfgNode, device: torch.device) -> dict[str, Any]:
    """Runs the enabled phases in this process; returns the test results (rank 0) if tested."""
    setup_logging(cfg.OUTPUT_DIR, get_rank())
    check_registered_names(cfg)
    os.makedirs(cfg.OUTPUT_DIR, exist_ok=True)
    # DETERMINISTIC: deterministic cuDNN kernels (slower); otherwise let cuDNN pick the fastest.
    torch.backends.cudnn.deterministic = bool(cfg.DETERMINISTIC)
    torch.backends.cudnn.benchmark = not cfg.DETERMINISTIC
    write_config(cfg)
    out: dict[str, Any] = {}
    model = task = ckpt = None
    if cfg.TRAIN.ENABLE:
        outcome = Trainer(cfg, device).train()
        model, task, ckpt = outcome.model, outcome.task, outcome.checkpoint
    if cfg.TEST.ENABLE:
        out["test"] = test_phase(cfg, device, model, task, ckpt)
    return out
