"""How a command-line run reports errors: one clear line for bad input, a traceback for bugs.

Config errors already print one line (``svit.engine.launch``). Data errors (a broken label map or
list, a dataset whose samples are all unreadable) and a full disk are bad input too: the user needs the
file and the reason, not thirty frames of DataLoader internals. ``report_errors`` prints them as
``Data error: ...`` (``Error: ...`` for the disk; exit code 1) and keeps the traceback behind
``SVIT_DEBUG=1``. Anything else is
a bug and keeps its traceback.

An error counts as a data error when it is one of the data pipeline's error types, when it was
raised inside ``svit/data/``, or when a DataLoader worker re-raised one (its message then carries
the worker's traceback, of which only the last line is shown).
"""
from __future__ import annotations

import os
import sys
import traceback
from typing import Callable

from svit.data.errors import AnnotationError, SampleError
from svit.data.robust import BrokenDatasetError
from svit.utils.atomic import DiskFullError

EXIT_DATA = 1
DEBUG_ENV = "SVIT_DEBUG"
_DATA_DIR = os.path.join("svit", "data") + os.sep


def debug_enabled() -> bool:
    return os.environ.get(DEBUG_ENV, "").lower() not in ("", "0", "false", "no")


def _raised_in_data_pipeline(exc: BaseException) -> bool:
    frames = traceback.extract_tb(exc.__traceback__)
    svit_frames = [f for f in frames if os.sep + "svit" + os.sep in f.filename]
    return bool(svit_frames) and _DATA_DIR in svit_frames[-1].filename


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in str(text).strip().splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def data_error_message(exc: BaseException) -> str | None:
    """The one-line message of a data error, or None when ``exc`` is not one."""
    if isinstance(exc, DiskFullError):  # not bad data, but bad input all the same: one line
        return exc.strerror or str(exc)
    text = str(exc)
    if "DataLoader worker" in text and "Original Traceback" in text:
        return _last_line(text)
    if isinstance(exc, BrokenDatasetError):
        return text.splitlines()[0] + " (" + _last_line(text) + ")" if "\n" in text else text
    if isinstance(exc, (AnnotationError, SampleError)) or _raised_in_data_pipeline(exc):
        return f"{type(exc).__name__}: {text}" if not isinstance(exc, (AnnotationError, SampleError)) else text
    return None


def report_errors(run: Callable[[], int]) -> int:
    """Calls ``run`` and turns data errors into one printed line and exit code 1 (see module doc)."""
    try:
        return run()
    except Exception as exc:
        message = None if debug_enabled() else data_error_message(exc)
        if message is None:
            raise

        label = "Error" if isinstance(exc, DiskFullError) else "Data error"
        print(f"{label}: {message}", file=sys.stderr)
        print(f"(set {DEBUG_ENV}=1 to see the traceback)", file=sys.stderr)
        return EXIT_DATA
