"""The one training loop for every model family.

Per step the trainer sets the lr from one global fractional epoch, draws GRAD_ACCUM_STEPS
micro-batches, passes each through the batch hooks (TRAIN.HOOKS: mixing, SV-Mix, ...), lets the
registered task turn it into a StepOutput, and backpropagates the sum of the task's and the hooks'
weighted loss terms under torch.amp; then clips, steps the main optimiser and the hooks' own
optimisers with one GradScaler, updates the model EMA and calls the hooks' ``after_step``. Epoch
boundaries reseed every RNG from (RNG_SEED, epoch, rank) and the sampler orders by (RNG_SEED,
epoch), which is what makes "train 2 epochs" and "train 1, resume, train 1" produce identical
weights (EMA, hook modules and hook optimisers included: they are all in the checkpoint).
Nothing in the step waits for the device: each step's loss terms, top-k hits and non-finite flag are
read one step late (svit/engine/step_stats.py), and a NaN/inf loss stops every rank there.
"""
from __future__ import annotations

import logging
import math
import time
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn as nn
from fvcore.common.config import CfgNode

from svit.checkpoint import load_checkpoint, resume_from
from svit.config import cfg_to_yaml
from svit.data.loader import build_loader
from svit.engine.compile import maybe_compile
from svit.engine.context import StepContext
from svit.engine.device import autocast, to_device
from svit.engine.errors import DataQualityError, NonFiniteLossError
from svit.engine.evaluator import validate
from svit.engine.experiment import Experiment, build_experiment, load_ema_state, write_config
from svit.engine.hooks import HOOK_REGISTRY, hook_names
from svit.engine.lr_policy import lr_at_epoch, set_lr
from svit.engine.meters import Average, topk_correct_counts
from svit.engine.optim import build_optimizer, clip_gradients
from svit.engine.output_dir import prune_checkpoints
from svit.engine.precise_bn import has_bn, recompute_bn_stats
from svit.engine.progress import ProgressReporter
from svit.engine.resume_check import check_restart, check_resume
from svit.engine.step import StepOutput
from svit.engine.step_stats import DeferredStepStats, StepAccumulator, StepRecord
from svit.engine.train_state import HookSlot, restore_hooks, restore_slot, save_train_checkpoint
from svit.models.build import train_checkpoint_type
from svit.models.prepare import load_init_checkpoints
from svit.run_folder import checkpoint_path, last_checkpoint
from svit.utils.distributed import (
    all_gather_objects,
    all_reduce_sum,
    barrier,
    get_rank,
    get_world_size,
    is_dist,
    is_main_process,
)
from svit.utils.seed import derive_seed, seed_everything
from svit.vis.epoch_plot import EpochPlot

logger = logging.getLogger("svit.trainer")


def term_key(name: str) -> str:
    """Log key of a loss term: its own name when that already says "loss", else ``loss_<name>``."""
    return name if "loss" in name else f"loss_{name}"


def merge_terms(into: dict[str, torch.Tensor], extra: dict[str, torch.Tensor], source: str) -> None:
    """Adds ``extra`` loss terms to ``into``; a name used twice would silently drop one, so it raises."""
    for k, v in extra.items():
        if k in into:
            raise RuntimeError(f"Loss term '{k}' of {source} is already produced by another part of the step")
        into[k] = v


def build_hooks(cfg: CfgNode, ctx: StepContext) -> list[HookSlot]:
    """TRAIN.HOOKS (with MIXUP.METHOD when MIXUP.ENABLE), built in order as ``cls(cfg, ctx)`` from a
    fixed seed; their modules moved to the device, then their own optimisers built."""
    slots = []
    for i, name in enumerate(hook_names(cfg)):
        seed_everything(derive_seed(cfg.RNG_SEED, 1_000_003, i))
        hook = HOOK_REGISTRY.get(name)(cfg, ctx)
        modules = dict(hook.modules())
        for m in modules.values():
            m.to(ctx.device)
        slots.append(HookSlot(name, hook, modules, hook.build_optimizer()))
    return slots


def task_slot(cfg: CfgNode, task: Any, device: torch.device) -> HookSlot:
    """The task's own trainable modules (moved to the device) and optimiser, in the hooks' form."""
    modules = dict(task.modules())
    for m in modules.values():
        m.to(device)
    return HookSlot("task", task, modules, task.build_optimizer())


def task_groups(cfg: CfgNode, slot: HookSlot) -> list[dict]:
    """Main-optimiser groups of the task's modules: its ``param_groups()``, else one default group
    (SOLVER.WEIGHT_DECAY, lr x1) when it has modules but no optimiser of its own."""
    groups = list(slot.hook.param_groups())
    if not groups and slot.optimizer is None and slot.parameters():
        groups = [{"params": slot.parameters(), "weight_decay": cfg.SOLVER.WEIGHT_DECAY, "name": "task"}]
    return groups


def wrap_ddp(cfg: CfgNode, model: nn.Module, device: torch.device) -> nn.Module:
    """DistributedDataParallel when a process group exists, else the model itself."""
    if not is_dist():
        return model
    return nn.parallel.DistributedDataParallel(
        model,
        device_ids=[device.index] if device.type == "cuda" else None,
        find_unused_parameters=cfg.DDP_FIND_UNUSED_PARAMETERS,
    )


@dataclass
class TrainOutcome:
    """What the test phase needs after training in the same call."""

    model: nn.Module
    task: Any
    checkpoint: str | None
    ema: Any = None


class Trainer:
    """Builds data, model, EMA, task, hooks and optimisers from the config and runs the epochs."""

    def __init__(self, cfg: CfgNode, device: torch.device, experiment: Experiment | None = None) -> None:
        exp = experiment or build_experiment(cfg, "train", device)
        self.cfg, self.device = exp.cfg, device
        self.rank, self.world = get_rank(), get_world_size()
        self.train_set, self.net, self.task, self.ema = exp.dataset, exp.net, exp.task, exp.ema
        self.ctx = StepContext(cfg, device, self.net, self.net, self.ema, num_classes=cfg.MODEL.NUM_CLASSES)
        self.hooks = build_hooks(cfg, self.ctx)
        self.task_slot = task_slot(cfg, self.task, device)
        extra_groups = task_groups(cfg, self.task_slot) + [g for h in self.hooks for g in h.hook.param_groups()]
        self.optimizer = build_optimizer(cfg, self.net, extra_groups)
        own = {id(p) for p in self.net.parameters()}
        # Hook-owned trainable parameters live outside DDP: their gradients are averaged by hand.
        self.owners = [self.task_slot, *self.hooks]  # parts besides the model that own modules/optimisers
        outside: dict[int, nn.Parameter] = {}
        for p in [*(p for h in self.owners for p in h.parameters()), *(p for g in extra_groups for p in g["params"])]:
            if id(p) not in own:
                outside[id(p)] = p
        self.hook_params = list(outside.values())
        fp16 = cfg.TRAIN.MIXED_PRECISION and cfg.TRAIN.MIXED_PRECISION_DTYPE == "float16"
        self.scaler = torch.amp.GradScaler(device.type, enabled=fp16)
        self.start_epoch = 0
        self.last_ckpt: str | None = None
        self._init_weights()
        self.model = maybe_compile(cfg, wrap_ddp(cfg, self.net, device))  # TRAIN.COMPILE
        self.ctx.model = self.model
        self.loader = build_loader(cfg, "train", self.train_set)
        self.val_loader = None
        write_config(cfg)  # only now: a run refused above leaves the folder's config.yaml as it was
        self.progress = ProgressReporter(cfg, is_main_process())

    def _init_weights(self) -> None:
        cfg = self.cfg
        resume = cfg.TRAIN.RESUME_FROM or (last_checkpoint(cfg.OUTPUT_DIR) if cfg.TRAIN.AUTO_RESUME else None)
        if resume:
            check_resume(cfg, resume)  # refuses another architecture, warns about other config changes
            logger.info("Resuming from %s", resume)
            ckpt = resume_from(resume, self.net, self.optimizer, self.scaler)
            self.start_epoch = int(ckpt["epoch"])
            self.task.load_state_dict(ckpt.get("task_state") or {})
            if self.ema is not None and not load_ema_state(self.ema, ckpt, resume):
                logger.warning("%s holds no 'ema_state': the EMA restarts from the resumed weights", resume)
                self.ema.copy_from(self.net)
            if ckpt.get("task_modules"):
                restore_slot(self.task_slot, ckpt["task_modules"], resume, "the task", with_state=False)
            restore_hooks(self.hooks, ckpt.get("hook_state"), resume)
            self.last_ckpt = resume
        else:
            check_restart(cfg)  # records of a run stopped before its first checkpoint: the same model?
            # Weights the model's builder names for a fresh run (CLIP tower, ImageNet init), then the file.
            fresh = load_init_checkpoints(cfg, self.net)
            if fresh and self.ema is not None and not cfg.TRAIN.CHECKPOINT_FILE_PATH:
                self.ema.copy_from(self.net)
        if not resume and cfg.TRAIN.CHECKPOINT_FILE_PATH:
            report = load_checkpoint(
                cfg.TRAIN.CHECKPOINT_FILE_PATH,
                self.net,
                checkpoint_type=train_checkpoint_type(cfg),  # + inflation with TRAIN.CHECKPOINT_INFLATE
                replace_patterns=cfg.TRAIN.CHECKPOINT_REPLACE_NAME_PATTERN,
                min_loaded=cfg.TRAIN.CHECKPOINT_MIN_LOADED,  # a file of another model is an error
            )
            ckpt = report.checkpoint if isinstance(report.checkpoint, dict) else {}
            if not cfg.TRAIN.CHECKPOINT_EPOCH_RESET and report.epoch is not None:
                self.start_epoch = report.epoch
            if cfg.TRAIN.CHECKPOINT_LOAD_OPTIMIZER and ckpt.get("optimizer_state"):
                self.optimizer.load_state_dict(ckpt["optimizer_state"])
            if self.ema is not None:
                self.ema.copy_from(self.net)  # the EMA starts from the initial weights

    # ------------------------------------------------------------------------------------------
    def _validate(self) -> dict[str, float]:
        models = {"online": self.model}
        if self.ema is not None:
            models["ema"] = self.ema.module
        return validate(self.cfg, models, self.task, self._val_loader(), self.device)

    def train(self) -> TrainOutcome:
        cfg = self.cfg
        if cfg.TRAIN.VAL_ONLY:
            self.progress.end_epoch(self.start_epoch - 1, self._validate(), phase="val")
            return TrainOutcome(self.net, self.task, self.last_ckpt, self.ema)
        if self.start_epoch >= cfg.SOLVER.MAX_EPOCH:
            logger.info("Training already finished (epoch %d of %d)", self.start_epoch, cfg.SOLVER.MAX_EPOCH)
        plot = EpochPlot(cfg)
        for epoch in range(self.start_epoch, cfg.SOLVER.MAX_EPOCH):
            seed_everything(derive_seed(cfg.RNG_SEED, epoch, self.rank))
            self.loader.sampler.set_epoch(epoch)
            for extra in self.task.loaders().values():
                if hasattr(getattr(extra, "sampler", None), "set_epoch"):
                    extra.sampler.set_epoch(epoch)
            self.task.on_epoch_start(epoch)
            for slot in self.hooks:
                slot.hook.on_epoch_start(epoch)
            summary = self.train_epoch(epoch)
            last = epoch + 1 == cfg.SOLVER.MAX_EPOCH
            if cfg.BN.USE_PRECISE_STATS and has_bn(self.net):
                recompute_bn_stats(self.net, self.loader, cfg.BN.NUM_BATCHES_PRECISE, self.device)
            self.progress.end_epoch(epoch, summary)
            if (epoch + 1) % max(1, cfg.TRAIN.CHECKPOINT_PERIOD) == 0 or last:
                self.save(epoch + 1)
            if cfg.TRAIN.EVAL_PERIOD > 0 and ((epoch + 1) % cfg.TRAIN.EVAL_PERIOD == 0 or last):
                self.progress.end_epoch(epoch, self._validate(), phase="val")
            plot.after_epoch(last)  # OUTPUT_DIR/stats.png (TRAIN.PLOT_STATS); warns, never raises
        self.progress.close()
        return TrainOutcome(self.net, self.task, self.last_ckpt, self.ema)

    def _val_loader(self):
        if self.val_loader is None:
            self.val_loader = build_loader(self.cfg, "val")
        return self.val_loader

    def save(self, epoch: int) -> None:
        path = checkpoint_path(self.cfg.OUTPUT_DIR, epoch)
        if is_main_process():
            save_train_checkpoint(
                path, self.net, epoch, self.optimizer, self.scaler, cfg_to_yaml(self.cfg), self.task_slot,
                self.ema, self.hooks,
            )
            logger.info("Saved %s", path)
            prune_checkpoints(self.cfg.OUTPUT_DIR, self.cfg.TRAIN.KEEP_LAST_CHECKPOINTS)
        barrier()
        self.last_ckpt = path

    # ------------------------------------------------------------------------------------------
    def _report_step(self, rec: StepRecord, meters: dict[str, Average], step_times: Average,
                     steps: int) -> None:
        """Logs one finished step (read one step late, see svit/engine/step_stats.py); a non-finite loss
        on any rank stops every rank here, before anything is saved."""
        got = rec.read()
        if got["non_finite"]:
            raise NonFiniteLossError(
                f"Non-finite loss at epoch {rec.epoch + 1}, step {rec.step + 1} on {got['non_finite']} rank(s) "
                f"(loss terms, mean over ranks: {got['terms']}); stopping. Last good checkpoint: "
                f"{self.last_ckpt or 'none'} (left intact)."
            )
        if rec.step > 0 or steps == 1:
            step_times.update(rec.step_time)
        terms = got["terms"]
        values = {"lr": rec.lr, "loss": sum(terms.values()), **{term_key(k): v for k, v in terms.items()}}
        if got["count"]:
            values["top1"] = got["correct"][0] / got["count"] * 100
            values["top5"] = got["correct"][1] / got["count"] * 100
        for k, v in values.items():
            meters.setdefault(k, Average()).update(v)
        remaining = (steps - rec.step - 1) + steps * (self.cfg.SOLVER.MAX_EPOCH - rec.epoch - 1)
        eta = step_times.mean * remaining if step_times.count else math.inf
        self.progress.step(rec.epoch, rec.step, steps, rec.epoch * steps + rec.step + 1, values, rec.data_time,
                           rec.step_time, eta)

    def _check_term_names(self, keys: list[str]) -> None:
        """The loss terms are summed over ranks by position, so their names must agree (checked once per
        epoch: a mismatch would make the reduction meaningless)."""
        names = all_gather_objects(keys)
        if any(n != keys for n in names):
            raise RuntimeError(f"Ranks returned different loss terms: {names}")

    def _forward(self, batch: dict) -> tuple[StepOutput, dict[str, torch.Tensor]]:
        """Hooks then task on one micro-batch, under autocast; returns the task's output and all
        weighted loss terms (task's and hooks')."""
        with autocast(self.cfg, self.device):
            extra: dict[str, torch.Tensor] = {}
            for slot in self.hooks:
                batch, hook_terms = slot.hook.before_step(batch, self.ctx)
                merge_terms(extra, hook_terms, f"hook '{slot.name}'")
            out = self.task.training_step(self.model, batch)
        if not isinstance(out, StepOutput):
            raise TypeError(f"Task {type(self.task).__name__}.training_step must return a StepOutput")
        terms = dict(out.terms)
        merge_terms(terms, extra, "the hooks")
        return out, terms

    def _optimizer_step(self) -> None:
        """Clip, step the main and the hooks' optimisers with the one GradScaler, one scaler update,
        then the EMA update and the hooks' after_step."""
        cfg = self.cfg
        if self.hook_params and is_dist():
            world = get_world_size()
            for p in self.hook_params:
                if p.grad is not None:
                    torch.distributed.all_reduce(p.grad)
                    p.grad.div_(world)
        if cfg.SOLVER.CLIP_GRAD_L2NORM or cfg.SOLVER.CLIP_GRAD_VAL:
            self.scaler.unscale_(self.optimizer)
            clip_gradients(cfg, [p for g in self.optimizer.param_groups for p in g["params"]])
        self.scaler.step(self.optimizer)
        for slot in self.owners:
            opt = slot.optimizer.optimizer if slot.optimizer is not None else None
            if opt is not None and any(p.grad is not None for g in opt.param_groups for p in g["params"]):
                self.scaler.step(opt)
        self.scaler.update()
        self.ctx.step += 1
        if self.ema is not None:
            self.ema.update(self.net)
        for slot in self.hooks:
            slot.hook.after_step(self.ctx)

    def train_epoch(self, epoch: int) -> dict[str, float]:
        cfg = self.cfg
        accum = cfg.TRAIN.GRAD_ACCUM_STEPS
        steps = len(self.loader) // accum
        if cfg.TRAIN.MAX_STEPS_PER_EPOCH > 0:
            steps = min(steps, cfg.TRAIN.MAX_STEPS_PER_EPOCH)
        self.model.train()
        for slot in self.owners:
            for m in slot.modules.values():
                m.train()
        self.progress.start_epoch(epoch, steps)
        it = iter(self.loader)
        meters: dict[str, Average] = {}
        step_times = Average()
        stats = DeferredStepStats(self.device)
        seen, bad = 0, 0
        for step in range(steps):
            t_start = time.perf_counter()
            self.ctx.epoch, self.ctx.step, self.ctx.steps_per_epoch = epoch, epoch * steps + step, steps
            lr = lr_at_epoch(cfg, epoch + step / steps)
            set_lr(self.optimizer, lr)
            self.optimizer.zero_grad(set_to_none=True)
            for slot in self.owners:
                if slot.optimizer is not None:
                    set_lr(slot.optimizer.optimizer, slot.optimizer.lr_at(epoch + step / steps))
                    slot.optimizer.optimizer.zero_grad(set_to_none=True)
            data_time = 0.0
            acc = StepAccumulator(accum)
            for micro in range(accum):
                t0 = time.perf_counter()
                batch = next(it)
                data_time += time.perf_counter() - t0
                n = int(batch["inputs"].shape[0]) if isinstance(batch.get("inputs"), torch.Tensor) else 0
                seen += n
                bad += int(batch.get("num_bad", 0))
                batch = to_device(batch, self.device)
                sync = nullcontext() if micro == accum - 1 or not is_dist() else self.model.no_sync()
                with sync:
                    out, terms = self._forward(batch)
                    loss = sum(terms.values())
                    self.scaler.scale(loss / accum).backward()
                hits = None
                if out.logits is not None and out.labels is not None and out.labels.dim() == 1:
                    hits = topk_correct_counts(out.logits.detach().float(), out.labels)
                acc.add(terms, loss, hits, 0 if hits is None else out.labels.numel())
            self._optimizer_step()
            if step == 0 and is_dist():
                self._check_term_names(sorted(acc.terms))
            for rec in stats.pop():  # the previous step, read while this one runs on the device
                self._report_step(rec, meters, step_times, steps)
            # step_time includes that read's wait, so it is the step's real period when the device is the bound
            stats.push(acc, epoch, step, lr, data_time, time.perf_counter() - t_start)
        for rec in stats.pop():
            self._report_step(rec, meters, step_times, steps)
        bad_all, seen_all = all_reduce_sum([bad, seen], self.device)
        if seen_all and bad_all / seen_all > cfg.DATA.MAX_BAD_FRACTION:
            raise DataQualityError(
                f"Epoch {epoch + 1}: {int(bad_all)} of {int(seen_all)} training samples "
                f"({bad_all / seen_all:.1%}) were unreadable and replaced, more than DATA.MAX_BAD_FRACTION "
                f"{cfg.DATA.MAX_BAD_FRACTION}; see the log for their paths."
            )
        summary = {k: m.mean for k, m in meters.items()}
        summary["num_bad"] = int(bad_all)
        extra = getattr(self.task, "extra_stats", None)
        if callable(extra):
            summary.update({f"task_{k}": v for k, v in (extra() or {}).items()})
        return summary
