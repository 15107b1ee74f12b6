"""Logging setup: rank 0 logs INFO to stdout and OUTPUT_DIR/log.txt; other ranks only warnings.

A run holds its log.txt lines in memory until its checks have passed (``hold_file=True``, then
``open_log_file``): a refused run (another run's folder, a resume of another model, a test without
weights, ...) prints its lines and its error but leaves the folder's log.txt exactly as it was
(``drop_held_log``), and TRAIN.OVERWRITE can delete the old run's log before the new one starts.
"""
from __future__ import annotations

import logging
import os
import sys

from svit.run_folder import LOG_FILE

_FMT = "[%(asctime)s %(levelname)s %(name)s] %(message)s"


class HeldFileHandler(logging.Handler):
    """Keeps records in memory until ``open()``, then appends them and every later record to ``path``."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self.held: list[logging.LogRecord] | None = []
        self.file: logging.FileHandler | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self.file is not None:
            self.file.emit(record)
        elif self.held is not None:
            self.held.append(record)

    def open(self) -> None:
        """Creates the folder if needed, writes the held records, then writes through."""
        if self.file is not None or self.held is None:
            return
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        self.file = logging.FileHandler(self.path)
        self.file.setFormatter(self.formatter)
        for record in self.held:
            self.file.emit(record)
        self.held = None

    def drop(self) -> None:
        """Forgets the held records; nothing is written to ``path`` afterwards."""
        if self.file is None:
            self.held = None

    def setFormatter(self, fmt: logging.Formatter | None) -> None:  # noqa: N802 (logging's name)
        super().setFormatter(fmt)
        if self.file is not None:
            self.file.setFormatter(fmt)

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
        super().close()


def _held_handlers() -> list[HeldFileHandler]:
    return [h for h in logging.getLogger("svit").handlers if isinstance(h, HeldFileHandler)]


def setup_logging(output_dir: str | None, rank: int = 0, *, hold_file: bool = False) -> None:
    """Configures the ``svit`` logger once per process (idempotent across calls).

    ``hold_file``: log.txt lines are kept in memory until ``open_log_file()`` (or forgotten by
    ``drop_held_log()``), so nothing is written to OUTPUT_DIR before the run's checks pass.
    """
    logger = logging.getLogger("svit")
    for h in list(logger.handlers):
        if getattr(h, "_svit", False):
            logger.removeHandler(h)
            h.close()
    logger.setLevel(logging.INFO if rank == 0 else logging.WARNING)
    logger.propagate = False
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stdout)]
    if output_dir and rank == 0:
        path = os.path.join(output_dir, LOG_FILE)
        if hold_file:
            handlers.append(HeldFileHandler(path))
        else:
            os.makedirs(output_dir, exist_ok=True)
            handlers.append(logging.FileHandler(path))
    for h in handlers:
        h.setFormatter(logging.Formatter(_FMT, datefmt="%H:%M:%S"))
        h._svit = True  # type: ignore[attr-defined]
        logger.addHandler(h)


def open_log_file() -> None:
    """Starts writing OUTPUT_DIR/log.txt (the held lines first); a no-op without a held log."""
    for h in _held_handlers():
        h.open()


def drop_held_log() -> None:
    """Forgets the held log lines of a refused run: its log.txt is not touched."""
    for h in _held_handlers():
        h.drop()


def get_logger(name: str) -> logging.Logger:
    """A child of the ``svit`` logger."""
    return logging.getLogger(name if name.startswith("svit") else "svit." + name)
