"""What one process of a run does: train (TRAIN.ENABLE), then the multi-view test (TEST.ENABLE).

Everything that can refuse a run (a hook's or the task's requirements, a test without weights,
another run in OUTPUT_DIR, a resume of another model, weights that do not fit) is decided while the
parts are built, before anything is written: log.txt lines are held in memory until then
(svit/utils/logging.py), config.yaml is written once the weights are loaded, and stats, events and
checkpoints only by the training loop. A refused run leaves its OUTPUT_DIR exactly as it was.
"""
from __future__ import annotations

import logging
from typing import Any

import torch
from fvcore.common.config import CfgNode

from svit.checkpoint import CheckpointError
from svit.config.errors import ConfigError
from svit.data.loader import build_dataset, build_loader
from svit.engine import protocols
from svit.engine.errors import RunError
from svit.engine.evaluator import run_test
from svit.engine.experiment import Experiment, build_experiment, require_test_weights, resolve_test_checkpoint
from svit.engine.output_dir import check_output_dir
from svit.engine.part_checks import check_part_configs
from svit.engine.trainer import Trainer
from svit.utils.distributed import get_rank
from svit.utils.logging import drop_held_log, open_log_file, setup_logging

logger = logging.getLogger("svit.run")

__all__ = ["check_run_config", "resolve_test_checkpoint", "run_phases", "test_phase"]

# Errors that refuse a run before it starts: its held log lines are dropped, not written.
REFUSALS = (ConfigError, RunError, CheckpointError)


def check_run_config(cfg: CfgNode) -> None:
    """The checks that need only the config (ConfigError): what the task and hooks need, and weights
    for a test-only run. The launcher calls it before starting any process."""
    check_part_configs(cfg)
    if cfg.TEST.ENABLE and not cfg.TRAIN.ENABLE:
        require_test_weights(cfg)


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


def _start(cfg: CfgNode, device: torch.device) -> tuple[Trainer | None, Experiment | None]:
    """Builds the first phase's parts (every refusal happens here); writes nothing but what a run that
    passed its checks writes (TRAIN.OVERWRITE's deletions, config.yaml)."""
    check_run_config(cfg)
    if cfg.TRAIN.ENABLE:
        check_output_dir(cfg)  # refuses (or, with TRAIN.OVERWRITE, clears) a folder holding another run
        experiment = build_experiment(cfg, "train", device)
        return Trainer(cfg, device, experiment), experiment
    if cfg.TEST.ENABLE:
        return None, build_experiment(cfg, "test", device)
    return None, None


def run_phases(cfg: CfgNode, device: torch.device) -> dict[str, Any]:
    """Runs the enabled phases in this process; returns the test results (rank 0) if tested."""
    setup_logging(cfg.OUTPUT_DIR, get_rank(), hold_file=True)
    # DETERMINISTIC: deterministic cuDNN kernels (slower); otherwise let cuDNN pick the fastest.
    torch.backends.cudnn.deterministic = bool(cfg.DETERMINISTIC)
    torch.backends.cudnn.benchmark = not cfg.DETERMINISTIC
    try:
        trainer, experiment = _start(cfg, device)
    except REFUSALS:
        drop_held_log()  # printed, not written: the folder's log.txt stays as it was
        raise
    except BaseException:
        open_log_file()  # an unexpected failure: keep its context in log.txt
        raise
    open_log_file()
    out: dict[str, Any] = {}
    if trainer is not None and experiment is not None:
        experiment.checkpoint = trainer.train().checkpoint
    if cfg.TEST.ENABLE:
        out["test"] = test_phase(cfg, device, experiment)
    return out
