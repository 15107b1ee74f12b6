"""The one construction path of a run: config checks -> dataset -> number of classes -> frozen
config -> config.yaml -> model (+ EMA) -> task -> weights.

Training, the test phase and ``tools/predict.py`` all assemble their parts here, so the number of
classes is decided once (from the dataset's label map, or the caller's class names) before the
config is frozen, ``OUTPUT_DIR/config.yaml`` is written once, and registry names are checked once.
Training loads its weights itself afterwards (resume needs the optimiser and the hooks); the test
and predict phases get their weights here.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn as nn
from fvcore.common.config import CfgNode

import svit.models  # noqa: F401  (registers every model)
from svit.checkpoint import CheckpointError, load_checkpoint
from svit.config import cfg_to_yaml
from svit.config.errors import ConfigError
from svit.data.loader import build_dataset
from svit.engine.compile import apply_model_speed_options
from svit.engine.ema import EmaStateError, ModelEma, check_ema_config
from svit.engine.model_info import log_model_info
from svit.engine.names import check_registered_names
from svit.engine.part_checks import check_part_configs
from svit.engine.tasks import build_task
from svit.models import build_model
from svit.models.prepare import resolve_model_config
from svit.run_folder import CONFIG_FILE, last_checkpoint
from svit.utils.atomic import atomic_write_text
from svit.utils.distributed import is_main_process
from svit.utils.seed import seed_everything

logger = logging.getLogger("svit.experiment")

PHASES = ("train", "test", "predict")


@dataclass
class Experiment:
    """The parts of one phase. ``net`` is the unwrapped model on ``device``; ``ema`` the ModelEma or
    None; ``dataset`` the phase's dataset (None for predict); ``checkpoint`` the weights loaded."""

    cfg: CfgNode
    device: torch.device
    phase: str
    net: nn.Module
    task: Any
    ema: ModelEma | None = None
    dataset: Any = None
    checkpoint: str | None = None

    def eval_models(self) -> dict[str, nn.Module]:
        """The models to evaluate by name: ``online`` and, with an EMA, ``ema``."""
        models = {"online": self.net}
        if self.ema is not None:
            models["ema"] = self.ema.module
        return models


def settle_num_classes(cfg: CfgNode, num_classes: int | None, source: str) -> None:
    """MODEL.NUM_CLASSES from ``source`` (the dataset's label map, class names, declared count).
    The config's own number is never replaced silently: a disagreement is a WARNING naming both
    numbers (the data decides: a head that does not fit the labels cannot train). Must run before
    the config is frozen."""
    if num_classes and int(num_classes) != cfg.MODEL.NUM_CLASSES:
        logger.warning(
            "MODEL.NUM_CLASSES is %d in the config but the data has %d classes (from %s): using %d. "
            "Set MODEL.NUM_CLASSES %d to silence this, or fix the data if %d was meant",
            cfg.MODEL.NUM_CLASSES, int(num_classes), source, int(num_classes), int(num_classes), cfg.MODEL.NUM_CLASSES,
        )
        cfg.MODEL.NUM_CLASSES = int(num_classes)


def write_config(cfg: CfgNode) -> None:
    """OUTPUT_DIR/config.yaml, the resolved config (rank 0, atomic)."""
    if is_main_process():
        os.makedirs(cfg.OUTPUT_DIR, exist_ok=True)
        atomic_write_text(os.path.join(cfg.OUTPUT_DIR, CONFIG_FILE), cfg_to_yaml(cfg))


def build_model_seeded(cfg: CfgNode, device: torch.device) -> nn.Module:
    """Builds the model with RNG_SEED so every process (and every rerun) starts from the same init."""
    seed_everything(cfg.RNG_SEED)

    return apply_model_speed_options(cfg, build_model(cfg)).to(device)


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


def require_test_weights(cfg: CfgNode) -> None:
    """ConfigError when a test phase without training before it (TRAIN.ENABLE False) has no weights to
    test: its numbers would be those of a randomly initialised model. Checked before anything is built
    or written."""
    if resolve_test_checkpoint(cfg)[0]:
        return

    raise ConfigError(
        f"TEST.ENABLE with TRAIN.ENABLE False needs weights to test, and none is given: set "
        f"TEST.CHECKPOINT_FILE_PATH (or TRAIN.CHECKPOINT_FILE_PATH), or point OUTPUT_DIR at a run whose "
        f"checkpoints/ holds one ({cfg.OUTPUT_DIR} has none). Testing a randomly initialised model is refused."
    )


def load_ema_state(ema: ModelEma, ckpt: Any, path: str) -> bool:
    """Restores ``ema`` from a checkpoint's ``ema_state``; False when the checkpoint has none.
    A state that does not fit the model raises EmaStateError naming ``path``."""
    state = ckpt.get("ema_state") if isinstance(ckpt, dict) else None
    if not state:
        return False
    ema.load_state_dict(state, source=path)
    return True


def _load_eval_weights(
    cfg: CfgNode, net: nn.Module, ema: ModelEma | None, path: str, ckpt_type: str, strict: bool
) -> ModelEma | None:
    """Weights of a model to evaluate; the EMA comes from ``ema_state`` (or is dropped with a warning
    when the file has none and the online model is the one evaluated)."""
    report = load_checkpoint(
        path, net, strict=strict, checkpoint_type=ckpt_type, replace_patterns=cfg.TRAIN.CHECKPOINT_REPLACE_NAME_PATTERN,
        min_loaded=None if strict else cfg.TRAIN.CHECKPOINT_MIN_LOADED,
    )
    if ema is None:
        return None
    if load_ema_state(ema, report.checkpoint, path):
        return ema
    if not strict:  # an initialisation (TRAIN.CHECKPOINT_FILE_PATH): the EMA starts from it too
        ema.copy_from(net)
        return ema
    if cfg.MODEL_EMA.EVAL_MODEL == "ema":
        raise EmaStateError(f"{path} holds no 'ema_state' but MODEL_EMA.EVAL_MODEL is 'ema'.")
    logger.warning("%s holds no 'ema_state': evaluating the online model only", path)
    return None


def build_experiment(
    cfg: CfgNode,
    phase: str,
    device: torch.device | None = None,
    *,
    num_classes: int | None = None,
    checkpoint: str | None = None,
    checkpoint_type: str = "auto",
) -> Experiment:
    """Assembles the parts of ``phase`` ("train", "test" or "predict"); freezes ``cfg``.

    train: dataset, model, EMA, task (weights: the trainer). test: dataset, model, EMA, task and the
    resolved test checkpoint. predict: model and EMA from ``checkpoint`` (strict), with
    ``num_classes`` from the caller's class names; MODEL_EMA.EVAL_MODEL decides which model
    ``Experiment.net`` is. config.yaml is written for test here, once the weights fit, and for train
    by the trainer once its weights are loaded: a refused run leaves the folder's config.yaml as it was.
    """
    if phase not in PHASES:
        raise ValueError(f"phase must be one of {PHASES}, got {phase!r}")
    device = device or torch.device("cpu")
    if cfg.is_frozen():
        cfg.defrost()
    if phase != "predict":
        check_registered_names(cfg)
    check_ema_config(cfg)
    if phase == "train":
        check_part_configs(cfg)  # what the selected hooks and task need (ConfigError naming the keys)
    if phase == "test":
        require_test_weights(cfg)
    dataset = None
    if phase == "predict":
        settle_num_classes(cfg, num_classes, "the class names")
    else:
        dataset = build_dataset(cfg, phase)
        info = getattr(dataset, "split_info", None) or {}
        source = info.get("num_classes_from") or f"the {phase} dataset's label map"
        settle_num_classes(cfg, getattr(dataset, "num_classes", None), source)
    resolve_model_config(cfg)  # keys the builder derives (Side4Video TOWER auto from its weights file)
    cfg.freeze()
    net = build_model_seeded(cfg, device)
    if cfg.LOG_MODEL_INFO and phase == "train" and is_main_process():
        log_model_info(cfg, net, logger)
    ema = ModelEma.from_config(cfg, net)
    if phase == "train":
        return Experiment(cfg, device, phase, net, build_task(cfg, net, device), ema, dataset)
    if phase == "test":
        path, ckpt_type = resolve_test_checkpoint(cfg)
        if path:
            # A checkpoint chosen for testing must fit exactly (missing/unexpected/reshaped keys are
            # an error); only the TRAIN.CHECKPOINT_FILE_PATH fallback, an initialisation, may not.
            strict = path != cfg.TRAIN.CHECKPOINT_FILE_PATH or bool(cfg.TEST.CHECKPOINT_FILE_PATH)
            ema = _load_eval_weights(cfg, net, ema, path, ckpt_type, strict)
        write_config(cfg)
        return Experiment(cfg, device, phase, net, build_task(cfg, net, device), ema, dataset, path)
    if not checkpoint:
        raise CheckpointError("predict needs a checkpoint")
    ema = _load_eval_weights(cfg, net, ema, checkpoint, checkpoint_type, strict=True)
    if cfg.MODEL_EMA.EVAL_MODEL == "ema":
        net = ema.module
    return Experiment(cfg, device, phase, net.eval(), None, None, None, checkpoint)
