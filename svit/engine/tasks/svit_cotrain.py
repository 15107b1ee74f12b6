"""SViT co-training (SViT, Ben Avraham et al., NeurIPS 2022; github.com/eladb3/SViT): video clips with action
labels plus single annotated frames.

Each optimisation step combines one video batch (from the trainer's loader) and one image batch
drawn from the task's own loader of ``IMAGE_TRAIN.DATASETS``:

    total = w_video · (L_ce + λ_con · L_con) + w_image · (5λ_n L_l1 + λ_n L_bce + 2λ_n L_giou + λ_e L_contact)

with ``w_video`` / ``w_image`` = SVIT.VIDEO_LOSS_WEIGHT / SVIT.IMAGE_LOSS_WEIGHT (7/8 and 1/8 by
default: what the original's 7 video GPUs + 1 image GPU averaging produced, now explicit and
independent of the number of processes). The original ran images on a dedicated rank with its own
learning-rate clock; here every rank sees both kinds of input and the one global step counter.

The video and image passes go through the model in ONE forward call (``model(clip, images=...)``)
so that DistributedDataParallel sees one forward per backward. The consistency target (each frame
of the clip fed alone) is computed on the unwrapped model under ``no_grad``: a stop-gradient by
construction.
"""
from __future__ import annotations

import inspect
from typing import Any, Iterator

import torch
import torch.nn as nn
from fvcore.common.config import CfgNode
from torch.utils.data import ConcatDataset, DataLoader

from svit.config.errors import ConfigError
from svit.data import build_loader
from svit.data.registry import DATASET_REGISTRY
from svit.engine.device import to_device
from svit.engine.part_requirements import require, world_size_of
from svit.engine.step import StepOutput
from svit.engine.tasks.base import Task, loss_batch, outputs_dict
from svit.engine.tasks.registry import TASK_REGISTRY
from svit.losses import build_loss
from svit.losses import consistency as clip_consistency
from svit.losses.consistency import FEATURE_KEYS
from svit.losses.svit_weights import svit_branch_weights, svit_loss_weights


def _unwrap(model: nn.Module) -> nn.Module:
    return model.module if hasattr(model, "module") else model


class _ConcatImages(ConcatDataset):
    """ConcatDataset that keeps the video-dataset-style attributes the loader may read."""

    @property
    def num_classes(self) -> int:
        return getattr(self.datasets[0], "num_classes", 0)


@TASK_REGISTRY.register("svit_cotrain")
class SViTCoTrainTask(Task):
    """Video classification + HAOG frame supervision + frame-clip consistency."""

    def __init__(self, cfg: CfgNode, model: nn.Module, device: torch.device) -> None:
        super().__init__(cfg, model, device)

        self.check_config(cfg)
        self.net = _unwrap(model)
        if cfg.IMAGE_TRAIN.ENABLE and "images" not in inspect.signature(self.net.forward).parameters:
            raise ConfigError(
                f"TRAIN.TASK svit_cotrain with IMAGE_TRAIN.ENABLE True needs a model whose forward takes "
                f"images= (SViT); MODEL.MODEL_NAME {cfg.MODEL.MODEL_NAME} has none. Set IMAGE_TRAIN.ENABLE False."
            )
        self.video_loss = build_loss(cfg.MODEL.LOSS_FUNC, cfg)
        self.node_loss = build_loss("haog_nodes", cfg)
        self.edge_loss = build_loss("haog_edges", cfg)
        self.consistency = build_loss("frame_clip_consistency", cfg)
        self.weights = svit_loss_weights(cfg)
        branch = svit_branch_weights(cfg)
        self.w_video, self.w_image = branch["video"], branch["image"]
        self.use_consistency = bool(cfg.TRAIN.FORWARD_VIDEO_FRAMES) and float(cfg.SVIT.LAMBDA_CON) > 0
        self.use_images = bool(cfg.IMAGE_TRAIN.ENABLE)
        self._image_loader: DataLoader | None = None
        self._image_iter: Iterator[dict] | None = None
        self._image_epoch = 0
        self._epoch = 0
        if self.use_images:
            self._image_loader = self._build_image_loader()

    @classmethod
    def check_config(cls, cfg: CfgNode) -> None:
        """Image co-training needs image datasets and an image batch that splits over the processes;
        the consistency term needs a known target mode and feature key."""
        im = cfg.IMAGE_TRAIN
        if im.ENABLE:
            require(len(im.DATASETS) > 0, "IMAGE_TRAIN.ENABLE is True but IMAGE_TRAIN.DATASETS is empty: name the "
                    "annotated-frame datasets, or set IMAGE_TRAIN.ENABLE False.")
            parts = world_size_of(cfg) * max(1, int(cfg.TRAIN.GRAD_ACCUM_STEPS))
            require(int(im.BATCH_SIZE) >= parts and int(im.BATCH_SIZE) % parts == 0,
                    f"IMAGE_TRAIN.BATCH_SIZE {im.BATCH_SIZE} must be a positive multiple of the processes x "
                    f"TRAIN.GRAD_ACCUM_STEPS ({parts}): each micro-batch of each process draws its share.")
        if cfg.TRAIN.FORWARD_VIDEO_FRAMES and float(cfg.SVIT.LAMBDA_CON) > 0:
            require(cfg.SVIT.CON_TARGET_MODE in ("eval", "train"),
                    f"SVIT.CON_TARGET_MODE must be eval or train, got {cfg.SVIT.CON_TARGET_MODE!r}.")
            require(cfg.SVIT.CON_FEATURES in FEATURE_KEYS,
                    f"SVIT.CON_FEATURES must be one of {sorted(FEATURE_KEYS)}, got {cfg.SVIT.CON_FEATURES!r}.")
            require(int(cfg.SVIT.CON_FRAMES) >= 0,
                    f"SVIT.CON_FRAMES must be >= 0 (0 = every frame), got {cfg.SVIT.CON_FRAMES!r}.")

    # ------------------------------------------------------------------ image data
    def _build_image_loader(self) -> DataLoader:
        cfg = self.cfg
        if not cfg.IMAGE_TRAIN.DATASETS:
            raise ValueError("IMAGE_TRAIN.ENABLE is True but IMAGE_TRAIN.DATASETS is empty")
        parts = [DATASET_REGISTRY.get(name)(cfg, "train") for name in cfg.IMAGE_TRAIN.DATASETS]
        dataset = parts[0] if len(parts) == 1 else _ConcatImages(parts)
        if len(dataset) == 0:
            raise ValueError(f"IMAGE_TRAIN.DATASETS {list(cfg.IMAGE_TRAIN.DATASETS)} hold no annotated frames")
        return build_loader(cfg, "train", dataset=dataset, global_batch_size=cfg.IMAGE_TRAIN.BATCH_SIZE)

    def loaders(self) -> dict[str, Any]:
        return {"images": self._image_loader} if self._image_loader is not None else {}

    def on_epoch_start(self, epoch: int) -> None:
        self._epoch = epoch
        self._image_epoch = 0
        self._image_iter = None

    def _next_images(self) -> dict:
        """Next image batch; the image set is cycled (re-shuffled) when it runs out mid-epoch."""
        assert self._image_loader is not None
        if self._image_iter is None:
            self._set_image_epoch()
            self._image_iter = iter(self._image_loader)
        try:
            return next(self._image_iter)
        except StopIteration:
            self._image_epoch += 1
            self._set_image_epoch()
            self._image_iter = iter(self._image_loader)
            return next(self._image_iter)

    def _set_image_epoch(self) -> None:
        sampler = getattr(self._image_loader, "sampler", None)
        if hasattr(sampler, "set_epoch"):
            # Distinct, reproducible orders for every (epoch, pass over the image set).
            sampler.set_epoch(self._epoch * 1000 + self._image_epoch)

    # ------------------------------------------------------------------ losses
    def training_step(self, model: nn.Module, batch: dict) -> StepOutput:
        images = None
        image_batch: dict | None = None
        if self.use_images:
            image_batch = to_device(self._next_images(), batch["inputs"].device)
            images = image_batch["images"]
        outputs = model(batch["inputs"], images=images) if images is not None else model(batch["inputs"])
        outputs = outputs_dict(outputs)

        terms: dict[str, torch.Tensor] = {}
        for name, value in self.video_loss(outputs, loss_batch(batch)).items():
            terms[name] = self.w_video * value
        if self.use_consistency:
            index = clip_consistency.draw_frames(int(batch["inputs"].shape[2]), int(self.cfg.SVIT.CON_FRAMES))
            frame_tokens = self._frame_tokens(batch["inputs"], index)
            targets = {"frame_obj_desc": frame_tokens, "frame_index": index}
            for name, value in self.consistency(outputs, targets).items():
                terms[name] = self.w_video * self.weights[name] * value
        if image_batch is not None:
            image_out = outputs["image_outputs"]
            for loss in (self.node_loss, self.edge_loss):
                for name, value in loss(image_out, image_batch).items():
                    terms[name] = self.w_image * self.weights[name] * value
        return StepOutput(terms, outputs["logits"], batch.get("labels"))

    def _frame_tokens(self, clip: torch.Tensor, frames: torch.Tensor | None = None) -> torch.Tensor:
        return clip_consistency.frame_tokens_for_clip(
            self.net, clip, mode=self.cfg.SVIT.CON_TARGET_MODE, features=self.cfg.SVIT.CON_FEATURES,
            frames=frames,
        )

    def eval_logits(self, model: nn.Module, batch: dict) -> torch.Tensor:
        return outputs_dict(model(batch["inputs"]))["logits"]
