"""Shared pytest fixtures: where the reference fixtures live, thread limits."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))

REPO = Path(__file__).resolve().parents[1]


def find_shared_dir() -> Path | None:
    """shared/ sits beside the repository clone (…/main and …/shared), or SVIT_SHARED_DIR points at it."""
    env = os.environ.get("SVIT_SHARED_DIR")
    candidates = [Path(env)] if env else []
    candidates += [REPO.parent / "shared", REPO / "shared"]
    for c in candidates:
        if (c / "fixtures").is_dir():
            return c
    return None


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    d = find_shared_dir()
    if d is None:
        pytest.skip("shared/ with the reference fixtures is not beside the repository")
    return d


@pytest.fixture(scope="session")
def fixtures_dir(shared_dir: Path) -> Path:
    return shared_dir / "fixtures"
