"""Fixtures of the robustness tests: the engine's toy parts and the data tests' tiny SSv2 set."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))  # engine_toy

from tests.data.conftest import synth_copy, synth_root  # noqa: E402,F401  (re-exported fixtures)
