"""Shared pytest fixtures: where the reference fixtures live, thread limits."""
from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
import torch

torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))

REPO = Path(__file__).resolve().parents[1]


#: Copies of the original code's reference outputs (shared/fixtures), shipped with the repository so a
#: fresh clone runs every equivalence test; see tests/fixtures/reference/README.md.
REFERENCE_FIXTURES = REPO / "tests" / "fixtures" / "reference"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The reference fixtures shipped in the repository (never skipped)."""
    return REFERENCE_FIXTURES


@pytest.fixture
def svit_logs(caplog):
    """``caplog`` that also receives the "svit" loggers' records once a run in the same session has
    set that logger's ``propagate`` False (svit.utils.logging); restored afterwards."""
    logger = logging.getLogger("svit")
    propagate, logger.propagate = logger.propagate, True
    yield caplog
    logger.propagate = propagate
