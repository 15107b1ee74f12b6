"""A small synthetic SSv2 dataset shared by the end-to-end runs of this folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from svit.data.synthetic.generate import generate_synthetic_ssv2


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory: pytest.TempPathFactory) -> str:
    """48 videos (4 per class), 24 frames of 64 px, with webm videos, generated once per session."""
    root = Path(tmp_path_factory.mktemp("synthetic")) / "ssv2"
    return generate_synthetic_ssv2(
        str(root), 48, seed=3, num_frames=24, size=64, workers=1, write_videos=True, progress=False
    )
