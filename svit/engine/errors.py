"""Errors that stop a run for a reason the user must see (the launcher prints them, no traceback)."""
from __future__ import annotations


class RunError(RuntimeError):
    """Base class: the run cannot continue; the message says why and what was kept."""


class NonFiniteLossError(RunError):
    """The loss became NaN/inf; raised before the bad step changes any weights."""


class DataQualityError(RunError):
    """Too many unreadable samples (DATA.MAX_BAD_FRACTION)."""


class ResultsError(RunError):
    """The test phase cannot produce valid results (e.g. a video is missing some of its views)."""
