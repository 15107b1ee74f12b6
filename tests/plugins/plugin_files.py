"""Source of a user package that adds parts to svit without touching it (written to a temp folder by
test_plugin_parts.py): a backbone with its own config section (a commented yaml file), a weights adapter
and a tiny size, a batch hook (its section in the Python form), a task, a list-file format (data source),
a decoder (storage format) and a test metric. Each file is what docs/ARCHITECTURE.md's "how to add" says
to write."""
from __future__ import annotations

BACKBONE = '''
"""TinyNet: a Conv3d stem, global pooling and a linear head."""
from pathlib import Path

import torch
import torch.nn as nn

from svit.config.sections import register_config_yaml, uses_config_sections
from svit.models import MODEL_REGISTRY

register_config_yaml(Path(__file__).with_name("tinynet_config.yaml"))


class TinyNet(nn.Module):
    def __init__(self, width: int, t_kernel: int, num_classes: int) -> None:
        super().__init__()
        self.stem = nn.Conv3d(3, width, (t_kernel, 3, 3), padding=(t_kernel // 2, 1, 1))
        self.head = nn.Linear(width, num_classes)

    def forward_features(self, x):
        return torch.relu(self.stem(x))

    def forward_head(self, feats):
        return self.head(feats.mean(dim=(2, 3, 4)))

    def forward(self, x):
        return self.forward_head(self.forward_features(x))

    def no_weight_decay(self):
        return set()

    def set_grad_checkpointing(self, enable: bool = True) -> None:
        pass


def tiny_config(cfg):
    cfg.TINYNET.WIDTH = 4
    return (2, 3, 4, 16, 16)


@MODEL_REGISTRY.register("TinyNet")
@uses_config_sections("TINYNET")
def build_tinynet(cfg):
    """TinyNet of TINYNET.WIDTH channels."""
    return TinyNet(cfg.TINYNET.WIDTH, cfg.TINYNET.T_KERNEL, cfg.MODEL.NUM_CLASSES)


build_tinynet.tiny_config = tiny_config
'''

ADAPTER = '''
"""Weights of the (imaginary) legacy TinyNet release: keys under "legacy.", plus a step counter."""
from svit.models.adapters import ADAPTER_REGISTRY


@ADAPTER_REGISTRY.register("tinynet_legacy")
def adapt(state, model, report):
    out = {}
    for key, value in state.items():
        if key == "legacy.step_count":
            report.dropped.append((key, "training counter of the legacy format"))
        else:
            out[key.removeprefix("legacy.")] = value
    return out
'''

BACKBONE_KEYS = '''
# The TINYNET section: the keys of TinyNet (backbone.py registers this file).
TINYNET:
  # Channels of the stem convolution.
  WIDTH: 16
  # Temporal kernel of the stem convolution.
  T_KERNEL: 3
'''

HOOK = '''
"""Counts the clips the training steps saw; adds a zero-weighted term so the term shows in stats."""
from fvcore.common.config import CfgNode

from svit.config.sections import register_config_section
from svit.engine.hooks import HOOK_REGISTRY, BatchHook


@register_config_section("CLIP_COUNTER")
def clip_counter_section(c: CfgNode) -> None:
    # Weight of the hook's (zero) loss term.
    c.TERM_WEIGHT = 0.5


@HOOK_REGISTRY.register("clip_counter")
class ClipCounter(BatchHook):
    def __init__(self, cfg, ctx):
        super().__init__(cfg, ctx)
        self.seen = 0

    def before_step(self, batch, ctx):
        self.seen += int(batch["inputs"].shape[0])
        return batch, {"clip_counter": batch["inputs"].new_zeros(()) * self.cfg.CLIP_COUNTER.TERM_WEIGHT}

    def state_dict(self):
        return {"seen": self.seen}

    def load_state_dict(self, state):
        self.seen = int(state["seen"])
'''

LIST_FORMAT = '''
"""A JSON-lines list format: one {"video": file, "label": K} object per line."""
import json
import os

from svit.data.registry import DATASET_REGISTRY
from svit.data.video_dataset import VideoClipDataset, VideoRecord


@DATASET_REGISTRY.register("jsonl_list")
def jsonl_list(cfg, split):
    """Videos of a JSON-lines list (LIST_DATA.*_LIST under DATA.PATH_TO_DATA_DIR)."""
    name = {"train": cfg.LIST_DATA.TRAIN_LIST, "val": cfg.LIST_DATA.VAL_LIST, "test": cfg.LIST_DATA.TEST_LIST}[split]
    root = cfg.DATA.PATH_TO_DATA_DIR
    with open(os.path.join(root, name)) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    records = [VideoRecord(os.path.splitext(r["video"])[0], r["label"], os.path.join(root, r["video"]))
               for r in rows]
    info = {"source": "jsonl_list", "split": split, "num_listed": len(records)}
    return VideoClipDataset(cfg, split, records, None, cfg.LIST_DATA.NUM_CLASSES, None, info)
'''

DECODER = '''
"""Videos stored as NumPy arrays (T, H, W, 3) uint8 in .npy files."""
import numpy as np

from svit.data.decoders import VideoSource, register_backend


class NpySource(VideoSource):
    def __init__(self, path, video_id):
        super().__init__(path, video_id)
        self.frames = np.load(path, mmap_mode="r")
        self.opened = True

    @property
    def num_frames(self):
        return int(self.frames.shape[0])

    def _read(self, indices):
        return np.ascontiguousarray(self.frames[indices])


def open_npy(path, video_id, **options):
    return NpySource(path, video_id)


register_backend("npy", open_npy)
'''

TASK = '''
"""Classification that counts its training steps (kept in the checkpoint's task_state)."""
from svit.engine.tasks.classification import ClassificationTask
from svit.engine.tasks.registry import TASK_REGISTRY


@TASK_REGISTRY.register("counted_classification")
class CountedClassification(ClassificationTask):
    def __init__(self, cfg, model, device):
        super().__init__(cfg, model, device)
        self.steps = 0

    def training_step(self, model, batch):
        self.steps += 1
        return super().training_step(model, batch)

    def state_dict(self):
        return {"steps": self.steps}

    def load_state_dict(self, state):
        self.steps = int(state["steps"])
'''

METRIC = '''
"""Mean of each video's highest class score (a per-video confidence statistic)."""
from svit.engine.metrics import METRIC_REGISTRY


@METRIC_REGISTRY.register("mean_top_score")
def mean_top_score(inp):
    return {"mean_top_score": float(inp.scores.max(axis=1).mean())}
'''

FILES = {
    "tiny_plugin/__init__.py": '"""A user package of svit parts."""\n',
    "tiny_plugin/backbone.py": BACKBONE,
    "tiny_plugin/tinynet_config.yaml": BACKBONE_KEYS,
    "tiny_plugin/adapter.py": ADAPTER,
    "tiny_plugin/hook.py": HOOK,
    "tiny_plugin/list_format.py": LIST_FORMAT,
    "tiny_plugin/decoder.py": DECODER,
    "tiny_plugin/task.py": TASK,
    "tiny_plugin/metric.py": METRIC,
    # an installed distribution's entry point: found by importlib.metadata on the path
    "tiny_plugin-0.1.dist-info/METADATA": "Metadata-Version: 2.1\nName: tiny-plugin\nVersion: 0.1\n",
    "tiny_plugin-0.1.dist-info/entry_points.txt": "[svit.plugins]\nmetric = tiny_plugin.metric\n",
}
