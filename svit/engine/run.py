"""What one process of a run does: train (TRAIN.ENABLE), then the multi-view test (TEST.ENABLE)."""
from __future__ import annotations

import logging
import os
from typing import Any

import torch
from fvcore.common.config import CfgNode

from svit.data.loader import build_dataset, build_loader
from svit.engine import protocols
from svit.engine.evaluator import run_test
from svit.engine.experiment import Experiment, build_experiment, resolve_test_checkpoint
from svit.engine.output_dir import check_output_dir
from svit.engine.trainer import Trainer
from svit.utils.distributed import get_rank
from svit.utils.logging import setup_logging

logger = logging.getLogger("svit.run")

__all__ = ["resolve_test_checkpoint", "run_phases", "test_phase"]


def test_phase(cfg: CfgNode, device: torch.device, experiment: Experiment | None = None) -> Any:
    """Multi-view test of the models of ``experiment`` (just trained) or, in a test-only run, of the
    resolved checkpoint (online and, with MODEL_EMA.ENABLE, EMA)."""
    if experiment is None:
        experiment = build_experiment(cfg, "test", device)
        dataset = experiment.dataset
    else:
        dataset = build_dataset(cfg, "test")
    if cfg.TEST.PROTOCOL:  # a seed's named protocol: its own views, possibly several passes
        return protocols.run_protocol(cfg, device, experiment, build_dataset, build_loader, run_test)
    loader = build_loader(cfg, "test", dataset)
    return run_test(cfg, experiment.eval_models(), experiment.task, loader, device, experiment.checkpoint)


def run_phases(cfg: CfgNode, device: torch.device) -> dict[str, Any]:
    """Runs the enabled phases in this process; returns the test results (rank 0) if tested."""
    setup_logging(cfg.OUTPUT_DIR, get_rank())
    os.makedirs(cfg.OUTPUT_DIR, exist_ok=True)
    # DETERMINISTIC: deterministic cuDNN kernels (slower); otherwise let cuDNN pick the fastest.
    torch.backends.cudnn.deterministic = bool(cfg.DETERMINISTIC)
    torch.backends.cudnn.benchmark = not cfg.DETERMINISTIC
    out: dict[str, Any] = {}
    experiment = None
    if cfg.TRAIN.ENABLE:
        check_output_dir(cfg)  # refuses (or, with TRAIN.OVERWRITE, clears) a folder holding another run
        experiment = build_experiment(cfg, "train", device)
        outcome = Trainer(cfg, device, experiment).train()
        experiment.checkpoint = outcome.checkpoint
    if cfg.TEST.ENABLE:
        out["test"] = test_phase(cfg, device, experiment)
    return out
