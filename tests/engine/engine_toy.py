"""Tiny registered parts for the engine tests: an in-memory pattern dataset and small models.

The label of a clip is decided by its temporal pattern (brightness rising, falling or flat), so a
linear model learns it in a few steps. Importable by spawned DDP workers (module-level names).
"""
from __future__ import annotations

import torch
import torch.nn as nn
from torch.utils.data import Dataset

from svit.data.registry import DATASET_REGISTRY
from svit.engine.hooks import HOOK_REGISTRY, BatchHook, HookOptimizer
from svit.engine.tasks import TASK_REGISTRY
from svit.engine.tasks.base import loss_batch
from svit.engine.tasks.classification import ClassificationTask
from svit.models.registry import MODEL_REGISTRY

CLASS_NAMES = ["rising", "falling", "flat"]


class PatternClips(Dataset):
    """``num_videos`` clips (3, T, S, S); multi-view in the test split (a small shift per view)."""

    def __init__(self, cfg, split: str, bad_every: int = 0) -> None:
        n = cfg.SYNTHETIC.NUM_VIDEOS if split == "train" else max(3, cfg.SYNTHETIC.NUM_VIDEOS // 2)
        g = torch.Generator().manual_seed(cfg.SYNTHETIC.SEED + {"train": 0, "val": 1, "test": 2}[split])
        t = cfg.DATA.NUM_FRAMES
        s = cfg.DATA.TRAIN_CROP_SIZE if split == "train" else cfg.DATA.TEST_CROP_SIZE
        self.labels = [i % 3 for i in range(n)]
        ramp = torch.linspace(-1, 1, t)
        self.clips = []
        for y in self.labels:
            level = {0: ramp, 1: -ramp, 2: torch.zeros(t)}[y]
            clip = 0.3 * torch.randn(3, t, s, s, generator=g) + level.view(1, t, 1, 1)
            self.clips.append(clip)
        self.video_ids = [f"{split}_{i:03d}" for i in range(n)]
        self.num_videos = n
        self.num_views = cfg.TEST.NUM_ENSEMBLE_VIEWS * cfg.TEST.NUM_SPATIAL_CROPS if split == "test" else 1
        self.class_names = list(CLASS_NAMES)
        self.num_classes = 3
        self.split_info = {"split": split, "missing_boxes_policy": "keep", "num_skipped": 0}
        self.bad_every = bad_every

    def __len__(self) -> int:
        return self.num_videos * self.num_views

    def __getitem__(self, i: int) -> dict:
        video, view = divmod(i, self.num_views)
        clip = self.clips[video]
        if view:
            clip = torch.roll(clip, shifts=view, dims=-1)
        return {
            "inputs": clip,
            "label": self.labels[video],
            "index": video,
            "view": view,
            "num_bad": int(self.bad_every > 0 and i % self.bad_every == 0),
        }


class TinyLinear(nn.Module):
    """Spatially pooled frames -> linear classifier; no BN, no dropout (deterministic in DDP)."""

    def __init__(self, cfg) -> None:
        super().__init__()
        self.head = nn.Linear(3 * cfg.DATA.NUM_FRAMES, cfg.MODEL.NUM_CLASSES)
        self.nan_after = -1
        self.calls = 0

    def no_weight_decay(self) -> set[str]:
        return {"head.weight"}

    def forward(self, x: torch.Tensor):
        out = self.head(x.mean(dim=(-1, -2)).flatten(1))
        if self.training:
            self.calls += 1
            if 0 <= self.nan_after < self.calls:
                out = out * float("nan")
        return out


class TinyBN(nn.Module):
    """Conv3d + BatchNorm3d + linear, for precise BN; returns a dict like SViT does."""

    def __init__(self, cfg) -> None:
        super().__init__()
        self.conv = nn.Conv3d(3, 4, kernel_size=1)
        self.bn = nn.BatchNorm3d(4)
        self.head = nn.Linear(4 * cfg.DATA.NUM_FRAMES, cfg.MODEL.NUM_CLASSES)

    def forward(self, x: torch.Tensor):
        h = torch.relu(self.bn(self.conv(x))).mean(dim=(-1, -2)).flatten(1)
        return {"logits": self.head(h), "features": h}


class ToyGateHook(BatchHook):
    """A batch hook owning a trainable module (a per-channel input gain) with its own SGD (momentum,
    decaying lr), a weighted loss term of its own, and non-module state (after_step calls)."""

    own_optimizer = True

    def __init__(self, cfg, ctx) -> None:
        super().__init__(cfg, ctx)
        self.gain = nn.Linear(1, 3, bias=False)  # seeded by the engine: random init, reproducible
        self.after_calls = 0
        self.seen_ema = ctx.ema is not None

    def modules(self):
        return {"gain": self.gain}

    def build_optimizer(self):
        if not self.own_optimizer:
            return None
        opt = torch.optim.SGD(self.gain.parameters(), lr=0.1, momentum=0.9)
        return HookOptimizer(opt, lambda epoch: 0.2 / (1.0 + epoch))

    def param_groups(self):
        if self.own_optimizer:
            return []
        return [{"params": list(self.gain.parameters()), "weight_decay": 0.0, "lr_scale": 0.5, "name": "toy_gain"}]

    def before_step(self, batch, ctx):
        g = 1.0 + 0.1 * torch.tanh(self.gain.weight.view(1, 3, 1, 1, 1))
        out = dict(batch)
        out["inputs"] = batch["inputs"] * g
        return out, {"gate_reg": 0.01 * self.gain.weight.pow(2).sum()}

    def after_step(self, ctx) -> None:
        self.after_calls += 1

    def state_dict(self):
        return {"after_calls": self.after_calls}

    def load_state_dict(self, state) -> None:
        self.after_calls = int(state.get("after_calls", 0))


class ToyGateGroupedHook(ToyGateHook):
    """The same hook, its parameters joining the main optimiser (``param_groups``) instead."""

    own_optimizer = False


class ToyAuxTask(ClassificationTask):
    """Classification plus an auxiliary head the TASK owns (default main-optimiser group)."""

    def __init__(self, cfg, model, device) -> None:
        super().__init__(cfg, model, device)
        self.aux = nn.Linear(3, cfg.MODEL.NUM_CLASSES)

    def modules(self):
        return {"aux": self.aux}

    def training_step(self, model, batch):
        out = super().training_step(model, batch)
        aux_logits = self.aux(batch["inputs"].mean(dim=(2, 3, 4)))
        out.terms["aux"] = 0.5 * self.loss({"logits": aux_logits}, loss_batch(batch))["cls"]
        return out


def _register() -> None:
    if "toy_aux" not in TASK_REGISTRY:
        TASK_REGISTRY.register("toy_aux")(ToyAuxTask)
    if "toy_gate" not in HOOK_REGISTRY:
        HOOK_REGISTRY.register("toy_gate")(ToyGateHook)
        HOOK_REGISTRY.register("toy_gate_grouped")(ToyGateGroupedHook)
    if "toy_pattern" not in DATASET_REGISTRY:
        DATASET_REGISTRY.register("toy_pattern")(lambda cfg, split: PatternClips(cfg, split))
        DATASET_REGISTRY.register("toy_pattern_bad")(lambda cfg, split: PatternClips(cfg, split, bad_every=4))
    if "TinyLinear" not in MODEL_REGISTRY:
        MODEL_REGISTRY.register("TinyLinear")(TinyLinear)
        MODEL_REGISTRY.register("TinyBN")(TinyBN)

        def nan_model(cfg):
            m = TinyLinear(cfg)
            m.nan_after = 2  # NaN from the 3rd training forward on (epoch 2 with 2 steps/epoch)
            return m

        MODEL_REGISTRY.register("TinyNaN")(nan_model)

        def nan_model_rank1(cfg):
            from svit.utils.distributed import get_rank

            m = TinyLinear(cfg)
            m.nan_after = 2 if get_rank() == 1 else -1  # only rank 1's loss turns NaN (epoch 2, step 1)
            return m

        MODEL_REGISTRY.register("TinyNaNRank1")(nan_model_rank1)


_register()


def toy_opts(output_dir: str, **overrides) -> list[str]:
    """KEY VALUE list of a tiny CPU run in ``output_dir``."""
    base = {
        "OUTPUT_DIR": output_dir,
        "TRAIN.DATASET": "toy_pattern",
        "TEST.DATASET": "toy_pattern",
        "MODEL.MODEL_NAME": "TinyLinear",
        "MODEL.NUM_CLASSES": 3,
        "DATA.NUM_FRAMES": 4,
        "DATA.TRAIN_CROP_SIZE": 4,
        "DATA.TEST_CROP_SIZE": 4,
        "SYNTHETIC.NUM_VIDEOS": 24,
        "TRAIN.BATCH_SIZE": 8,
        "TEST.BATCH_SIZE": 4,
        "TEST.NUM_ENSEMBLE_VIEWS": 2,
        "TEST.NUM_SPATIAL_CROPS": 1,
        "SOLVER.MAX_EPOCH": 2,
        "SOLVER.BASE_LR": 0.5,
        "SOLVER.WARMUP_EPOCHS": 0.5,
        "SOLVER.WARMUP_START_LR": 0.05,
        "SOLVER.NESTEROV": False,
        "DATA_LOADER.NUM_WORKERS": 0,
        "DATA_LOADER.PIN_MEMORY": False,
        "TENSORBOARD.ENABLE": False,
        "LOG_PERIOD": 1,
        "TRAIN.AUTO_RESUME": True,
    }
    base.update(overrides)
    out = []
    for k, v in base.items():
        out += [k, str(v)]
    return out


def run_toy(cfg, device):
    """Spawn target: registers the toy parts in the child, then runs the normal phases."""
    from svit.engine.run import run_phases

    _register()
    return run_phases(cfg, device)
