"""The original SV-Mix trainer's training step, driven from its checkout (for ``tools/speed_svmix_vs_original.py``).

Source: ty-97/Seletive-Volume-Mix, sub-project ``SV-Mix/`` (imported from the folder given on the command
line; nothing of it is copied here). One step of its training loop is, in its own code:

* ``engine/train_loop.py`` ``TrainerBase.train``: ``before_step()``, ``run_step()``, ``after_step()``
  inside an ``EventStorage``; ``after_step`` ends with ``self.mixup.momentum_update(self.model)`` (the
  EMA update of the teacher);
* ``engine/defaults.py`` ``DefaultTrainer.run_step``: next batch, ``preprocess_batch``, the mixer
  ``MaskMotionCut.__call__`` (teacher feature pass on the clean clips, the selector ``MB_st`` twice, the
  two mixes, the saliency label ratio, the mask loss), the student's forward on the online mix, the
  teacher's forward on the offline mix, ``SoftTargetCrossEntropy`` on both, their sum + mask loss,
  ``_write_metrics``, ``NativeScaler.backward`` and ``update`` of both optimisers (model, then selector).

All of that runs as shipped. What this module supplies instead of ``DefaultTrainer.__init__`` (which
also builds the data sets and loaders from files) is the set of attributes ``run_step`` reads, each made
by the original's own builders: its config (``get_cfg`` + ``experiments/ssv2_tsm.yaml``), ``MaskMotionCut``
with the arguments ``__init__`` passes, ``build_optimizer``, ``build_losses``, ``NativeScaler``; the data
iterator yields one fixed batch (data loading is not part of the compared step on either side).
Deviations, each forced or stated:

* the student and the teacher are built with the ``TSM_ResNet`` constructor (``experiments/ssv1_tsm.yaml``
  arguments): the shipped registry path (``BaseNet.from_config``) passes a ``drop_path_rate`` that
  ``TSM_ResNet.__init__`` does not take, so ``build_model(cfg)`` raises TypeError for TSM;
* ``torch.compile`` (applied by the trainer to the student and by the mixer to the teacher) is the
  identity: our side runs eager too (TRAIN.COMPILE off), and a CPU compile would time the compiler;
* on CPU, ``.cuda()`` is the identity (the code is written for one GPU);
* the mixer's visualisation dump (JPEG files of the first mixes every ~2,340 iterations) is skipped by
  starting its counter at 1: it is file output for debugging, not training;
* ``lmdb`` and ``decord`` (imported by its data code, unused here) are placeholders.
"""
from __future__ import annotations

import contextlib
import importlib
import itertools
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import numpy as np
import torch
import torch.nn as nn

from tools.original_families import _svmix, _svmix_save, _svmix_tsm, cuda_is_identity, stub_module


@dataclass
class Draw:
    """One step's random choices, given to both sides: the mode, λ (online), λ_ofl and the two permutations."""

    spatial: bool
    lam: float
    lam_ofl: float
    perm: torch.Tensor
    perm_ofl: torch.Tensor


def scripted_draws(count: int, batch: int, seed: int = 0, low: float = 0.15, high: float = 0.85) -> list[Draw]:
    """``count`` draws, the mode alternating (spatial first), λ and λ_ofl uniform in [low, high] (no
    extreme λ, so both selector calls run, as in most steps of a real run), permutations from a seeded
    generator without fixed points (a clip mixed with itself would leave its mask without effect: no
    selector gradient to compare)."""
    if batch < 2:
        raise ValueError(f"SV-Mix mixes clips within a batch: batch {batch} < 2")
    g = torch.Generator().manual_seed(seed)

    def derangement() -> torch.Tensor:
        while True:
            p = torch.randperm(batch, generator=g)
            if not (p == torch.arange(batch)).any():
                return p

    out = []
    for i in range(count):
        lam, lam_ofl = (low + (high - low) * torch.rand(2, generator=g, dtype=torch.float64)).tolist()
        out.append(Draw(i % 2 == 0, lam, lam_ofl, derangement(), derangement()))
    return out


@contextlib.contextmanager
def original_draws(draw: Draw) -> Iterator[None]:
    """The original's own random calls answered with ``draw``: ``MaskMotionCut._get_mixup_params`` calls
    ``np.random.rand`` twice (apply? spatial?) and ``np.random.beta`` once (λ), ``_mix_batch`` calls
    ``np.random.beta`` once more (λ_ofl) and ``torch.randperm`` twice (π, π_ofl)."""
    rand = iter([0.0, 0.0 if draw.spatial else 0.99])
    beta = iter([draw.lam, draw.lam_ofl])
    perms = iter([draw.perm.clone(), draw.perm_ofl.clone()])
    saved = np.random.rand, np.random.beta, torch.randperm
    np.random.rand = lambda *a, **k: next(rand)
    np.random.beta = lambda *a, **k: next(beta)
    torch.randperm = lambda *a, **k: next(perms)
    try:
        yield
    finally:
        np.random.rand, np.random.beta, torch.randperm = saved


@contextlib.contextmanager
def eager_compile() -> Iterator[None]:
    """``torch.compile`` returns the module unchanged while the original's objects are built."""
    saved = torch.compile
    torch.compile = lambda model, *a, **k: model
    try:
        yield
    finally:
        torch.compile = saved


@dataclass
class OriginalSVMixStep:
    """The original trainer (``DefaultTrainer`` without its data loaders) and what one step records.

    ``step(draw)`` runs the loop body of ``TrainerBase.train`` once; ``losses`` then holds the scalars
    ``run_step`` gave ``_write_metrics`` (``soft_target_cross_entropy_loss``, ``loss_ofl``,
    ``mask_loss``); ``seen`` the student's input (the online mix, its layout (B, 3·T, H, W)) and the
    teacher's second input (the offline mix), ``masks`` the selector's outputs (online, offline)."""

    trainer: Any
    storage: Any
    kfg: Any
    device: torch.device
    save_as: Callable[[dict], Any] = _svmix_save
    losses: dict[str, float] = field(default_factory=dict)
    seen: dict[str, list[torch.Tensor]] = field(default_factory=dict)

    @property
    def student(self) -> nn.Module:
        return self.trainer.model

    @property
    def teacher(self) -> nn.Module:
        return self.trainer.mixup.tsm_model

    @property
    def selector(self) -> nn.Module:
        return self.trainer.mixup.mix_block_s

    def set_batch(self, x: torch.Tensor, labels: torch.Tensor) -> None:
        """Our clip (B, 3, T, H, W) in the original's TSM layout (B, 3·T, H, W) (``TIME_DIM: 'C'``),
        yielded afresh on every ``next`` (``run_step`` updates the dict it gets)."""
        frames = x.transpose(1, 2).reshape(x.shape[0], -1, *x.shape[3:]).contiguous()
        k = self.kfg
        self.trainer._train_data_loader_iter = ({k.FRAMES: frames, k.LABELS: labels} for _ in itertools.count())

    def step(self, draw: Draw) -> None:
        tr = self.trainer
        cpu = self.device.type == "cpu"
        with original_draws(draw), (cuda_is_identity() if cpu else contextlib.nullcontext()):
            tr.before_step()
            tr.run_step()
            tr.after_step()
        tr.iter += 1

    def record(self, on: bool) -> None:
        """Start (``on``) or stop recording inputs, selector outputs and losses of the next steps."""
        for h in getattr(self, "_handles", []):
            h.remove()
        self._handles = []
        self.trainer.__dict__.pop("_write_metrics", None)
        if not on:
            return
        self.seen = {"student_in": [], "teacher_in": [], "masks": []}
        k = self.kfg

        def keep(name: str) -> Callable:
            return lambda mod, args: self.seen[name].append(args[0][k.FRAMES].detach().clone())

        self._handles = [self.student.register_forward_pre_hook(keep("student_in")),
                         self.teacher.register_forward_pre_hook(keep("teacher_in")),
                         self.selector.register_forward_hook(
                             lambda mod, args, out: self.seen["masks"].append(out[0].detach().clone()))]
        write = type(self.trainer)._write_metrics.__get__(self.trainer)

        def write_metrics(loss_dict: dict, data_time: float, prefix: str = "") -> None:
            self.losses = {key: float(v) for key, v in loss_dict.items()}
            write(loss_dict, data_time, prefix)

        self.trainer._write_metrics = write_metrics

    def close(self) -> None:
        self.record(False)
        self.storage.__exit__(None, None, None)


def build_original_svmix_step(root: str, size: dict, batch: int, device: torch.device, out_dir: str,
                              experiment: str = "ssv2_tsm.yaml") -> OriginalSVMixStep:
    """The original's TSM-R50 SV-Mix trainer at ``size`` (frames, crop, classes), ``batch`` clips a step."""
    for name in ("lmdb", "decord"):  # imported by its data code only
        stub_module(name)
    _svmix(root, "tsm_resnet")  # pytorchvideo from the checkout; pytorchvideo.model a bare package

    def build_tsm(cfg: Any) -> nn.Module:
        return _svmix_tsm(root, size).model.to(device)

    sys.modules["pytorchvideo.model"].build_model = build_tsm  # what maskmotioncut imports by name
    config = importlib.import_module("pytorchvideo.config")
    defaults = importlib.import_module("pytorchvideo.engine.defaults")
    mmc_mod = importlib.import_module("pytorchvideo.transform.maskmotioncut")
    mmc_mod.build_model = build_tsm  # the same, when the module was imported earlier in this process
    events = importlib.import_module("pytorchvideo.utils.events")
    base = os.path.join(os.path.abspath(root), "SV-Mix")
    cfg = config.get_cfg()
    cfg.merge_from_file(os.path.join(base, "experiments", experiment))
    cfg.merge_from_list([
        "MODEL.NUM_CLASSES", size["classes"], "MODEL.DEVICE", device.type, "MODEL.WEIGHTS", "",
        "DATALOADER.NUM_SEGMENTS", size["frames"], "TRANSFORM.CROP_SIZE", size["crop"],
        # one process, no gradient accumulation: iter_size = TOTAL // TRAIN // world = 1
        "DATALOADER.TRAIN_BATCH_SIZE", batch, "DATALOADER.TOTAL_BATCH_SIZE", batch, "OUTPUT_DIR", out_dir,
    ])
    cfg.freeze()
    tr = defaults.DefaultTrainer.__new__(defaults.DefaultTrainer)
    defaults.TrainerBase.__init__(tr)
    with eager_compile(), (cuda_is_identity() if device.type == "cpu" else contextlib.nullcontext()):
        # DefaultTrainer.__init__'s arguments for TRANSFORM.MASK_MOTION_CUT
        tr.mixup = mmc_mod.MaskMotionCut(mixup_alpha=0.8, cutmix_alpha=1.0, mix_prob=cfg.TRANSFORM.MIXUP_PROB,
                                         switch_prob=cfg.TRANSFORM.SWITCH_PROB,
                                         label_smoothing=cfg.TRANSFORM.MIXUP_LABELSMOOTHING,
                                         num_classes=cfg.MODEL.NUM_CLASSES, cfg=cfg)
        model = build_tsm(cfg)
    tr.mixup.iter_count = 1  # no visualisation dump (see the module docstring)
    tr.optimizer, tr.optimizer_mixblock = tr.build_optimizer(cfg, model, tr.mixup.mix_block_s)
    tr.losses = tr.build_losses(cfg)
    tr.loss_scaler = importlib.import_module("pytorchvideo.utils.cuda").NativeScaler()
    tr.iter_size, tr.iters_per_epoch, tr.cfg, tr.best_score = 1, 1, cfg, 0
    tr.model = model
    tr.model.train()
    tr.optimizer.zero_grad()
    tr.optimizer_mixblock.zero_grad()
    storage = events.EventStorage(0, 1)
    tr.storage = storage.__enter__()
    return OriginalSVMixStep(tr, storage, config.kfg, device)

