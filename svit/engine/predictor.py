"""Checkpoint inference on arbitrary inputs: video files, frame folders, folders or lists of them.

Uses exactly the test-time pipeline of the config (sampling, resize, crops, normalisation,
channel order) through ``VideoClipDataset`` with records built from the given paths, so a
prediction equals what the multi-view test would score for the same video. Unreadable inputs are
reported by path and skipped; they are never replaced by another video.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from fvcore.common.config import CfgNode

from svit.data.errors import SampleError
from svit.data.sources.synthetic_ssv2 import synthetic_cfg
from svit.data.video_dataset import VideoClipDataset, VideoRecord
from svit.data.video_reader import list_frame_numbers
from svit.engine.cuda_graphs import graphed_eval
from svit.engine.results import aggregate_views

logger = logging.getLogger(__name__)
VIDEO_EXTENSIONS = {".webm", ".mp4", ".avi", ".mkv", ".mov", ".m4v", ".gif"}


class PredictInputError(ValueError):
    """An input path that is neither a video, a frame folder, a folder of those nor a list file."""


@dataclass
class InputItem:
    """One thing to classify."""

    video_id: str
    path: str
    kind: str  # "pyav" (video file) or "frames" (frame folder)
    box_path: str | None = None


@dataclass
class Prediction:
    video_id: str
    path: str
    topk: list[tuple[int, str, float]] = field(default_factory=list)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        # "id" is the input path: unique where names are not (a.mp4 and a.avi share video_id "a")
        out: dict[str, Any] = {"id": self.path, "video_id": self.video_id, "path": self.path}
        if self.error:
            out["error"] = self.error
        else:
            out["predictions"] = [{"class": c, "name": n, "score": s} for c, n, s in self.topk]
        return out


def _is_frame_folder(path: Path, template: str) -> bool:
    """A folder is a frame folder only when it holds images named by the frame template (DATA.FRAME_TEMPLATE):
    one stray ``cover.jpg`` beside videos must not turn a folder of videos into a "video" of one frame."""
    return path.is_dir() and bool(list_frame_numbers(str(path), template, path.name))


def _folder_items(path: Path, raw: str, box_dir: str | None, template: str) -> list[InputItem]:
    """The videos and frame folders inside ``path``; anything else there is listed in one WARNING."""
    found, strays = [], []
    for child in sorted(path.iterdir()):
        if (child.is_file() and child.suffix.lower() in VIDEO_EXTENSIONS) or _is_frame_folder(child, template):
            found.append(child)
        else:
            strays.append(child.name + ("/" if child.is_dir() else ""))
    if not found:
        raise PredictInputError(
            f"--input {raw}: folder holds no videos ({', '.join(sorted(VIDEO_EXTENSIONS))}), no frames named "
            f"like {template!r} (DATA.FRAME_TEMPLATE) and no folders of them; "
            + (f"it holds: {', '.join(strays[:10])}" if strays else "it is empty")
        )
    if strays:
        logger.warning(
            "--input %s: skipping %d entries that are neither videos nor frame folders (frames named like %r): %s",
            raw, len(strays), template, ", ".join(strays[:20]) + (" ..." if len(strays) > 20 else ""),
        )
    return [_item_for(c, box_dir) for c in found]


def _item_for(path: Path, box_dir: str | None) -> InputItem:
    vid = path.stem if path.is_file() else path.name
    box = None
    if box_dir:
        candidate = Path(box_dir) / f"{vid}.json"
        box = str(candidate) if candidate.is_file() else None
    kind = "pyav" if path.is_file() else "frames"
    return InputItem(video_id=vid, path=str(path), kind=kind, box_path=box)


def collect_inputs(
    inputs: Sequence[str], box_dir: str | None = None, template: str = "{:04d}.jpg"
) -> list[InputItem]:
    """Expands the ``--input`` arguments into items (sorted within a folder). A folder is a frame
    folder when it holds frames named by ``template`` (DATA.FRAME_TEMPLATE), else a folder of videos
    and frame folders whose other entries are skipped and listed in a WARNING."""
    items: list[InputItem] = []
    for raw in inputs:
        path = Path(raw)
        if not path.exists():
            raise PredictInputError(f"--input {raw}: no such file or folder")
        if path.is_file() and path.suffix.lower() in VIDEO_EXTENSIONS:
            items.append(_item_for(path, box_dir))
        elif path.is_file() and path.suffix.lower() in {".txt", ".lst", ".list"}:
            lines = [ln.strip() for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
            base = path.parent
            for ln in lines:
                p = Path(ln.split()[0])
                p = p if p.is_absolute() else base / p
                if not p.exists():
                    raise PredictInputError(f"{raw}: listed path {p} does not exist")
                items.append(_item_for(p, box_dir))
        elif _is_frame_folder(path, template):
            items.append(_item_for(path, box_dir))
        elif path.is_dir():
            items.extend(_folder_items(path, raw, box_dir, template))
        else:
            raise PredictInputError(
                f"--input {raw}: not a video ({', '.join(sorted(VIDEO_EXTENSIONS))}), a frame folder, "
                "a folder of them, or a .txt list"
            )
    return items


def load_class_names(path: str, num_classes: int) -> list[str] | None:
    """Class names from a label map JSON (name -> index) or a text file (one name per line)."""
    if not path:
        return None
    if not os.path.isfile(path):
        raise PredictInputError(f"label map {path} does not exist")
    if path.endswith(".json"):
        try:
            data = json.loads(Path(path).read_text())
        except json.JSONDecodeError as exc:
            raise PredictInputError(f"label map {path} is not valid JSON: {exc}") from exc
        if isinstance(data, dict):
            names = [""] * num_classes
            for name, idx in data.items():
                i = int(idx)
                if 0 <= i < num_classes:
                    names[i] = name
            return names
        if isinstance(data, list):
            return [str(x) for x in data]
        raise PredictInputError(f"label map {path} must be an object (name -> index) or a list")
    return [ln.strip() for ln in Path(path).read_text().splitlines() if ln.strip()]


def default_label_map(cfg: CfgNode) -> str:
    """The label map the config's dataset would use, if it is on disk."""
    candidates = []
    if cfg.TEST.DATASET.startswith("synthetic_ssv2"):
        cfg = synthetic_cfg(cfg)  # the generated dataset's folder holds its label map
    if cfg.DATA.LABEL_MAP_FILE:
        candidates.append(cfg.DATA.LABEL_MAP_FILE)
    if cfg.DATA.PATH_TO_DATA_DIR:
        candidates.append(os.path.join(cfg.DATA.PATH_TO_DATA_DIR, cfg.SSV2.LABEL_MAP))
        if cfg.LIST_DATA.CLASS_NAMES:
            candidates.append(os.path.join(cfg.DATA.PATH_TO_DATA_DIR, cfg.LIST_DATA.CLASS_NAMES))
    return next((c for c in candidates if os.path.isfile(c)), "")


class Predictor:
    """Scores inputs with a model under the config's test protocol (views × crops, softmax, ensemble)."""

    def __init__(
        self, cfg: CfgNode, model: torch.nn.Module, device: torch.device, class_names: list[str] | None
    ) -> None:
        self.cfg = cfg
        self.model = model.eval().to(device)
        self.device = device
        self.class_names = class_names

    def _dataset(self, items: list[InputItem], backend: str):
        cfg = self.cfg.clone()
        cfg.defrost()
        cfg.DATA.DECODING_BACKEND = backend
        records = [VideoRecord(video_id=i.video_id, label=-1, path=i.path, box_path=i.box_path) for i in items]
        return VideoClipDataset(cfg, "test", records, self.class_names, self.cfg.MODEL.NUM_CLASSES)

    @torch.no_grad()
    def scores(self, dataset, vid_index: int) -> np.ndarray:
        """Ensembled softmax scores of one video over all its test views."""
        rng = np.random.default_rng(self.cfg.RNG_SEED)
        views = [dataset.load(vid_index, v, rng)["inputs"] for v in range(dataset.num_views)]
        clips = torch.stack(views).to(self.device)
        out = graphed_eval(self.cfg, self.model, self.device)(clips)  # fp32, as predict runs
        logits = out["logits"] if isinstance(out, dict) else out
        probs = torch.softmax(logits.float(), dim=-1).cpu().numpy()
        views = np.arange(len(probs))
        return aggregate_views(np.zeros_like(views), views, probs, 1, len(probs), self.cfg.TEST.ENSEMBLE_METHOD)[0]

    def predict(self, items: list[InputItem], topk: int = 5, progress: bool = True) -> list[Prediction]:
        from tqdm import tqdm

        results: dict[int, Prediction] = {}
        by_kind: dict[str, list[int]] = {}
        for i, item in enumerate(items):
            by_kind.setdefault(item.kind, []).append(i)
        bar = tqdm(total=len(items), desc="predict", disable=not progress, unit="video")
        for kind, positions in by_kind.items():
            dataset = self._dataset([items[p] for p in positions], kind)
            for local, pos in enumerate(positions):
                item = items[pos]
                try:
                    s = self.scores(dataset, local)
                except (SampleError, OSError, ValueError, RuntimeError) as exc:
                    results[pos] = Prediction(item.video_id, item.path, error=str(exc))
                else:
                    order = np.argsort(-s)[:topk]
                    names = self.class_names or []
                    topk_list = [
                        (int(c), names[c] if c < len(names) and names[c] else str(int(c)), float(s[c])) for c in order
                    ]
                    results[pos] = Prediction(item.video_id, item.path, topk_list)
                bar.update(1)
        bar.close()
        return [results[i] for i in range(len(items))]
