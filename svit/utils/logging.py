"""Logging setup: rank 0 logs INFO to stdout and OUTPUT_DIR/log.txt; other ranks only warnings."""
from __future__ import annotations

import logging
import os
import sys

_FMT = "[%(asctime)s %(levelname)s %(name)s] %(message)s"


def setup_logging(output_dir: str | None, rank: int = 0) -> None:
    """Configures the ``svit`` logger once per process (idempotent across calls)."""
    logger = logging.getLogger("svit")
    for h in list(logger.handlers):
        if getattr(h, "_svit", False):
            logger.removeHandler(h)
            h.close()
    logger.setLevel(logging.INFO if rank == 0 else logging.WARNING)
    logger.propagate = False
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stdout)]
    if output_dir and rank == 0:
        os.makedirs(output_dir, exist_ok=True)
        handlers.append(logging.FileHandler(os.path.join(output_dir, "log.txt")))
    for h in handlers:
        h.setFormatter(logging.Formatter(_FMT, datefmt="%H:%M:%S"))
        h._svit = True  # type: ignore[attr-defined]
        logger.addHandler(h)


def get_logger(name: str) -> logging.Logger:
    """A child of the ``svit`` logger."""
    return logging.getLogger(name if name.startswith("svit") else "svit." + name)
