"""Fixtures of the data tests: a tiny generated SSv2-layout dataset and config factory."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from svit.config.defaults import get_cfg
from svit.data.synthetic.generate import generate_synthetic_ssv2


@pytest.fixture(scope="session")
def synth_root(tmp_path_factory) -> Path:
    """24 videos (2 per class), 12 frames of 48x48, with webm files; read-only for tests."""
    root = tmp_path_factory.mktemp("synth") / "ds"
    generate_synthetic_ssv2(str(root), num_videos=24, seed=3, num_frames=12, size=48, workers=1, progress=False)
    return root


@pytest.fixture
def synth_copy(synth_root, tmp_path) -> Path:
    """A private copy of the tiny dataset that a test may corrupt."""
    dst = tmp_path / "ds"
    shutil.copytree(synth_root, dst)
    return dst


def make_cfg(root: Path, **over):
    """Config reading ``root`` as SSv2 with tiny clips (4 frames, 32 px crops)."""
    cfg = get_cfg()
    cfg.DATA.PATH_TO_DATA_DIR = str(root)
    cfg.DATA.NUM_FRAMES = 4
    cfg.DATA.TRAIN_CROP_SIZE = 32
    cfg.DATA.TEST_CROP_SIZE = 32
    cfg.DATA.TRAIN_JITTER_SCALES = [32, 40]
    cfg.TEST.NUM_SPATIAL_CROPS = 1
    cfg.TEST.NUM_ENSEMBLE_VIEWS = 1
    for k, v in over.items():
        node = cfg
        parts = k.split("__")
        for p in parts[:-1]:
            node = getattr(node, p)
        setattr(node, parts[-1], v)
    return cfg
