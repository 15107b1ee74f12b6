"""The one error type of svit.weights (a CheckpointError, so loaders report it like a bad file)."""
from __future__ import annotations

from svit.checkpoint_files import CheckpointError


class WeightsError(CheckpointError):
    """A weights name, URL or download failed; the message says which and what to do."""
