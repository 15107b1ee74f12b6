"""Progress of a long loop: a live bar on a terminal, plain log lines anywhere else.

A tqdm bar redraws itself with carriage returns; written to a redirected log (``> gen.log``, CI, a
batch job) it leaves one huge line of ``\\r``-separated fragments. When the stream is not a terminal
the same loop reports ``desc: done/total unit (pct%, elapsed)`` on its own line at every tenth of the
work (and at the end), so a log stays readable and still shows progress.
"""
from __future__ import annotations

import sys
import time
from typing import IO, Iterable, Iterator, TypeVar

T = TypeVar("T")


def progress(items: Iterable[T], total: int | None = None, desc: str = "", unit: str = "it",
             enabled: bool = True, stream: IO[str] | None = None) -> Iterator[T]:
    """Yields ``items``, reporting progress on ``stream`` (default stderr) unless ``enabled`` is False."""
    stream = stream if stream is not None else sys.stderr
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    if not enabled:
        yield from items
        return
    if _is_terminal(stream):
        from tqdm import tqdm

        yield from tqdm(items, total=total, desc=desc, unit=unit, file=stream)
        return
    yield from _log_lines(items, total, desc, unit, stream)


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # a closed or stream-like object without isatty
        return False


def _log_lines(items: Iterable[T], total: int | None, desc: str, unit: str, stream: IO[str]) -> Iterator[T]:
    start = time.monotonic()
    done = 0
    next_report = 1 if not total else max(1, total // 10)
    prefix = f"{desc}: " if desc else ""

    def report() -> None:
        of = f"/{total}" if total else ""
        pct = f" ({100 * done // total}%" if total else " ("
        stream.write(f"{prefix}{done}{of} {unit}{pct}{', ' if total else ''}{time.monotonic() - start:.0f} s)\n")
        stream.flush()

    for item in items:
        yield item
        done += 1
        if done >= next_report or (total and done == total):
            report()
            next_report = done + (max(1, total // 10) if total else done)  # no total: 1, 2, 4, 8, ...
    if not total or done != total:
        report()  # the end, when it was not just reported
