"""A tiny synthetic dataset (frame folders, 32 px) and the config overrides that shrink the
synthetic configs to it, shared by the tests of the pictures."""
from __future__ import annotations

from pathlib import Path

import pytest

from svit.data.synthetic.generate import generate_synthetic_ssv2

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "configs" / "synthetic"


@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory: pytest.TempPathFactory) -> str:
    """24 videos (2 per class), 8 frames of 32 px, frame folders only."""
    root = Path(tmp_path_factory.mktemp("vis_synthetic")) / "ssv2"
    return generate_synthetic_ssv2(str(root), 24, seed=5, num_frames=8, size=32, workers=1,
                                   write_videos=False, progress=False)


def tiny_overrides(root: str, out: Path) -> list[str]:
    """4 frames of 32 px, two test clips of one crop, no workers: each picture in seconds."""
    return [
        "SYNTHETIC.ROOT", root, "OUTPUT_DIR", str(out),
        "DATA.NUM_FRAMES", "4", "DATA.TRAIN_CROP_SIZE", "32", "DATA.TEST_CROP_SIZE", "32",
        "DATA.TRAIN_JITTER_SCALES", "[32, 36]", "TEST.NUM_ENSEMBLE_VIEWS", "2", "TEST.NUM_SPATIAL_CROPS", "1",
        "DATA_LOADER.NUM_WORKERS", "0", "LOG_MODEL_INFO", "False",
    ]
