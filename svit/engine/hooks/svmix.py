"""``svmix``: SV-Mix (selective volume mixup, Tan et al. 2023) as a batch hook, with any task.

Per micro-batch (the method itself lives in ``svit.svmix``):

1. the EMA model ξ (``ctx.ema.module``, MODEL_EMA must be on) computes the feature map of the CLEAN
   clips once, under ``no_grad``, in train mode with every module whose name contains "drop" in eval
   mode (the original's teacher setting: BatchNorm uses and updates batch statistics);
2. the selective module φ (owned by this hook) turns those features into two soft masks: the online
   mask (detached; plain mixup at extreme λ) and the offline mask (with gradient);
3. the batch goes on to the task with the online mix in ``inputs`` and the saliency-weighted soft
   targets in ``targets``; the hook adds two terms: ``svmix_offline`` (ξ classifying the offline mix
   against λ_ofl-mixed targets) and ``svmix_mask`` (the mask-area regulariser).

Gradient routing: θ only sees the online loss (its input carries no graph); φ only sees the offline
loss and the mask loss (the online mask is computed under ``no_grad``); ξ has ``requires_grad=False``
and is only moved by the engine's EMA update after every optimiser step.

Fixes of the original's bugs (shared/spec/svmix.md §7), each deliberate:

* B1 evaluation: the engine validates and tests both the online and the EMA model (``test_results.json``
  has both); MODEL_EMA.EVAL_MODEL picks the one ``tools/predict.py`` uses.
* B2 selector lr: the original built the selector's scheduler and never stepped it, leaving the lr at
  BASE_LR (MultiStep) or BASE_LR/100 (the warm-up start). SVMIX.LR_SCHEDULE "as_shipped" keeps that
  constant lr: the recipes of the paper's rows set it, since it produced the published numbers. "main"
  (the key's default) makes the selector follow the main lr policy, warm-up included, scaled to
  SVMIX.BASE_LR; "constant" uses SVMIX.BASE_LR throughout.
* B3 one GradScaler: the engine steps the main and the selector optimisers with the one scaler and
  updates it once per step (the original called ``update()`` twice). The selector's gradient clip runs
  inside its optimiser's ``step`` (after the scaler has unscaled its gradients).
* B4 EMA init: ξ is a deep copy of θ after θ's weights are loaded (not an independently built model
  with another random head).
* B5 EMA buffers: configurable (MODEL_EMA.UPDATE_BUFFERS); the SV-Mix configs keep the original's
  parameters-only averaging, so ξ's BN statistics come from its own train-mode forwards.
* B6 baselines run: SVMIX.ENABLE False makes this hook a pass-through, MIX_PROB 0 works.
* B8 saliency/mask frame alignment: both repeat each feature time step (never tile).
* B12 the online mask is computed once under ``no_grad`` (not a second module call detached later).
* Also: no visualisation files, no fonts, no hard-coded paths or dataset sizes; the feature size C is
  read from the backbone's feature map, not from the model name.

Kept as in the original: one mode per batch and process; the EMA teacher is updated once per optimiser
step (the original's trainer also updated on gradient-accumulation micro-steps).
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn as nn
from fvcore.common.config import CfgNode

from svit.config.errors import ConfigError
from svit.engine.hooks.base import BatchHook, HookOptimizer
from svit.engine.hooks.registry import HOOK_REGISTRY, hook_names
from svit.engine.lr_policy import base_lr, lr_at_epoch
from svit.engine.part_requirements import clips_per_process_step, require
from svit.engine.tasks.base import logits_of
from svit.models.input_size import input_frames
from svit.svmix.features import clip_features, unwrap
from svit.svmix.losses import soft_target_cross_entropy
from svit.svmix.masks import feature_scales
from svit.svmix.mix import SVMixParams, svmix_batch
from svit.svmix.sampling import draw_step
from svit.svmix.selector import SelectiveModule

LR_SCHEDULES = ("main", "constant", "as_shipped")
# Hooks that write soft ``targets`` from the hard labels: with svmix, one of the two would be lost.
TARGET_WRITING_HOOKS = ("mixup_cutmix",)


class ClippedSGD(torch.optim.SGD):
    """SGD that clips the total gradient norm of its parameters right before stepping.

    ``GradScaler.step`` unscales an optimiser's gradients and then calls its ``step``, so the clip
    sees true gradients (the selector's clip of the original, GRAD_CLIP_MIXBLOCK)."""

    def __init__(self, params, clip_norm: float, **kwargs: Any) -> None:
        super().__init__(params, **kwargs)
        self.clip_norm = float(clip_norm)

    @torch.no_grad()
    def step(self, closure=None):  # type: ignore[override]
        if self.clip_norm > 0:
            params = [p for g in self.param_groups for p in g["params"] if p.grad is not None]
            torch.nn.utils.clip_grad_norm_(params, self.clip_norm)
        return super().step(closure)


def set_teacher_mode(teacher: nn.Module) -> None:
    """Train mode (BatchNorm on batch statistics) with dropout / drop-path modules in eval mode."""
    teacher.train()
    for name, module in teacher.named_modules():
        if "drop" in name.lower() or isinstance(module, nn.Dropout):
            module.eval()


def selector_lr_fn(cfg: CfgNode):
    """The selector's lr as a function of the fractional epoch, per SVMIX.LR_SCHEDULE."""
    s = cfg.SVMIX
    lr0 = float(s.BASE_LR)
    if s.LR_SCHEDULE == "constant":
        return lambda epoch: lr0
    if s.LR_SCHEDULE == "as_shipped":
        factor = cfg.SOLVER.WARMUP_START_LR / base_lr(cfg) if cfg.SOLVER.WARMUP_EPOCHS > 0 else 1.0
        return lambda epoch: lr0 * factor
    main0 = base_lr(cfg)
    return lambda epoch: lr0 * lr_at_epoch(cfg, epoch) / main0


@HOOK_REGISTRY.register("svmix")
class SVMixHook(BatchHook):
    """SVMIX.*; owns the selective module ``selector``; teacher = the run's EMA model."""

    def __init__(self, cfg: CfgNode, ctx: Any) -> None:
        super().__init__(cfg, ctx)
        s = cfg.SVMIX
        self.enabled = bool(s.ENABLE)
        self.selector: SelectiveModule | None = None
        if not self.enabled:
            return
        self.check_config(cfg)
        if ctx is None or ctx.ema is None:
            raise ConfigError("SVMIX.ENABLE needs MODEL_EMA.ENABLE True: the EMA model is SV-Mix's teacher.")
        channels = self._probe_channels(cfg, ctx)
        self.selector = SelectiveModule(
            channels,
            max(1, round(channels * float(s.INTER_RATIO))),
            lambda_weight=float(s.LAMBDA_INIT_WEIGHT),
            lambda_offset=float(s.LAMBDA_OFFSET),
            attn_impl=str(s.ATTN_IMPL),
        )
        self.params = SVMixParams(
            num_classes=int(ctx.num_classes or cfg.MODEL.NUM_CLASSES),
            smoothing=float(s.LABEL_SMOOTHING),
            extreme_lambda=float(s.EXTREME_LAMBDA),
            mask_margin=float(s.MASK_LOSS_MARGIN),
            mask_weight=float(s.MASK_LOSS_WEIGHT),
        )
        self.offline_weight = float(s.OFFLINE_LOSS_WEIGHT)

    @classmethod
    def check_config(cls, cfg: CfgNode) -> None:
        """What SV-Mix cannot run with, as config errors before anything is built (nothing to check
        when SVMIX.ENABLE is False: the hook is a pass-through)."""
        s = cfg.SVMIX
        if not s.ENABLE:
            return
        require(bool(cfg.MODEL_EMA.ENABLE),
                "SVMIX.ENABLE needs MODEL_EMA.ENABLE True: the EMA model is SV-Mix's teacher.")
        clips, how = clips_per_process_step(cfg)
        require(clips >= 2, f"SV-Mix mixes clips within one process batch and needs at least 2; {how} gives "
                f"{clips}. Raise TRAIN.BATCH_SIZE or lower the number of processes or TRAIN.GRAD_ACCUM_STEPS.")
        others = [n for n in hook_names(cfg) if n in TARGET_WRITING_HOOKS]
        require(not others, f"TRAIN.HOOKS {hook_names(cfg)}: svmix writes its own soft targets, so {others} "
                "(MIXUP.ENABLE adds MIXUP.METHOD) would mix the clips twice and one hook's targets would be "
                "lost; use one of them (MIXUP.ENABLE False for SV-Mix).")
        require(s.LR_SCHEDULE in LR_SCHEDULES,
                f"SVMIX.LR_SCHEDULE must be one of {LR_SCHEDULES}, got {s.LR_SCHEDULE!r}.")
        require(s.OPTIMIZER in ("sgd", "shared"), f"SVMIX.OPTIMIZER must be 'sgd' or 'shared', got {s.OPTIMIZER!r}.")
        require(0.0 <= float(s.EXTREME_LAMBDA) < 0.5,
                f"SVMIX.EXTREME_LAMBDA must be in [0, 0.5), got {s.EXTREME_LAMBDA}.")
        require(float(s.INTER_RATIO) > 0, f"SVMIX.INTER_RATIO must be positive, got {s.INTER_RATIO}.")
        for key in ("MIX_PROB", "SWITCH_PROB"):
            require(0.0 <= float(s[key]) <= 1.0, f"SVMIX.{key} is a probability, got {s[key]}.")
        mixes = float(s.MIX_PROB) > 0
        drawn = {  # the Beta parameters a step can draw from (sampling.draw_step)
            "SPATIAL_ALPHA": mixes and float(s.SWITCH_PROB) > 0,
            "TEMPORAL_ALPHA": mixes and float(s.SWITCH_PROB) < 1,
            "OFFLINE_ALPHA": True,
        }
        for key, used in drawn.items():
            require(not used or float(s[key]) > 0,
                    f"SVMIX.{key} is a Beta parameter and must be positive, got {s[key]}.")

    @staticmethod
    def _probe_channels(cfg: CfgNode, ctx: Any) -> int:
        """C of the backbone's feature map, read from one forward of a blank clip of the training size
        (eval mode, no_grad: no statistics or RNG touched); the model must give a feature map whose
        grid divides the clip (masks are whole feature cells), else a ConfigError naming the sizes."""
        net = unwrap(ctx.net)
        crop = int(cfg.DATA.TRAIN_CROP_SIZE)
        frames = input_frames(cfg)  # the training clip's frames (x DATA.FRAMES_PER_SEGMENT for H2CN)
        x = torch.zeros(1, int(cfg.DATA.INPUT_CHANNEL_NUM[0]), frames, crop, crop)
        was_training = net.training
        net.eval()
        try:
            with torch.no_grad():
                feats = clip_features(net, x.to(next(net.parameters()).device))
        except TypeError as e:  # no forward_features: a family SV-Mix cannot read
            raise ConfigError(f"TRAIN.HOOKS svmix with MODEL.MODEL_NAME {cfg.MODEL.MODEL_NAME}: {e}") from None
        finally:
            net.train(was_training)
        try:
            feature_scales(frames, (crop, crop), tuple(feats.spatial.shape[2:]))
        except ValueError as e:
            raise ConfigError(f"MODEL.MODEL_NAME {cfg.MODEL.MODEL_NAME} with {frames} input frames (DATA.NUM_FRAMES), "
                              f"DATA.TRAIN_CROP_SIZE {crop}: {e}.") from None
        return int(feats.spatial.shape[1])

    # ------------------------------------------------------------------ engine interface
    def modules(self) -> dict[str, nn.Module]:
        return {"selector": self.selector} if self.selector is not None else {}

    def build_optimizer(self) -> HookOptimizer | None:
        if self.selector is None or self.cfg.SVMIX.OPTIMIZER != "sgd":
            return None
        s = self.cfg.SVMIX
        opt = ClippedSGD(
            self.selector.parameters(),
            clip_norm=float(s.GRAD_CLIP),
            lr=float(s.BASE_LR),
            momentum=float(s.MOMENTUM),
            weight_decay=float(s.WEIGHT_DECAY),
        )
        return HookOptimizer(opt, selector_lr_fn(self.cfg))

    def param_groups(self) -> list[dict]:
        if self.selector is None or self.cfg.SVMIX.OPTIMIZER != "shared":
            return []
        return [{
            "params": list(self.selector.parameters()),
            "weight_decay": float(self.cfg.SOLVER.WEIGHT_DECAY),
            "lr_scale": float(self.cfg.SVMIX.SHARED_LR_SCALE),
        }]

    def before_step(self, batch: dict, ctx: Any) -> tuple[dict, dict[str, torch.Tensor]]:
        if not self.enabled:
            return batch, {}
        s = self.cfg.SVMIX
        x, labels = batch["inputs"], batch["labels"]
        if labels.dim() != 1:
            raise ValueError("svmix expects hard labels (B,) in batch['labels'] (put it before other mixers)")
        teacher = ctx.ema.module
        set_teacher_mode(teacher)
        draw = draw_step(
            x.shape[0],
            mix_prob=float(s.MIX_PROB),
            switch_prob=float(s.SWITCH_PROB),
            spatial_alpha=float(s.SPATIAL_ALPHA),
            temporal_alpha=float(s.TEMPORAL_ALPHA),
            offline_alpha=float(s.OFFLINE_ALPHA),
        )
        with torch.no_grad():
            feats = clip_features(teacher, x)
        mixed = svmix_batch(self.selector, feats, x, labels, draw, self.params)
        offline_logits = logits_of(teacher(mixed.x_offline))
        offline = soft_target_cross_entropy(offline_logits, mixed.target_offline)
        out = dict(batch)
        out["inputs"] = mixed.x_online
        out["targets"] = mixed.target_online
        terms = {"svmix_offline": self.offline_weight * offline, "svmix_mask": mixed.mask_loss}
        return out, terms
