"""Fixtures of the weights tests: a loopback server and a private, empty weights cache."""
from __future__ import annotations

import pytest

from tests.weights.loopback import Loopback


@pytest.fixture
def server():
    srv = Loopback().start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """SVIT_WEIGHTS_DIR -> an empty temp folder; no offline flag, no mirror from the environment."""
    d = tmp_path / "weights"
    monkeypatch.setenv("SVIT_WEIGHTS_DIR", str(d))
    monkeypatch.delenv("SVIT_OFFLINE", raising=False)
    monkeypatch.delenv("SVIT_WEIGHTS_MIRROR", raising=False)
    return d
