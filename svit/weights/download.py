"""Plain HTTP(S) downloads with the standard library (urllib): resume, progress, retry.

A download writes ``<file>.part`` next to its destination. When the connection drops part-way the
bytes received stay there and the next attempt asks for the rest (``Range: bytes=N-``); a server
that ignores the range (200 instead of 206) is answered by starting over. urllib follows redirects
(GitHub release assets and CDNs answer with 302). Progress is a tqdm bar when stderr is a terminal
and a log line every 10 % otherwise (job logs stay readable). ``$SVIT_WEIGHTS_MIRROR`` replaces
the scheme of every https URL: ``https://host/path`` is fetched from ``$SVIT_WEIGHTS_MIRROR/host/path``
(a local mirror for clusters without internet; the tests point it at a loopback server).
"""
from __future__ import annotations

import http.client
import logging
import os
import sys
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

from svit.weights.errors import WeightsError

logger = logging.getLogger("svit.weights")

MIRROR_ENV = "SVIT_WEIGHTS_MIRROR"
CHUNK = 1 << 20
ATTEMPTS = 4
TIMEOUT_S = 60


def mirrored(url: str) -> str:
    """``url`` rewritten to ``$SVIT_WEIGHTS_MIRROR/<host>/<path>`` when the variable is set."""
    base = os.environ.get(MIRROR_ENV, "").rstrip("/")
    if not base or not url.startswith(("http://", "https://")):
        return url
    p = urlsplit(url)
    return f"{base}/{p.netloc}{p.path}" + (f"?{p.query}" if p.query else "")


class Progress:
    """A tqdm bar (``bar``), a log line per 10 % (``log``) or nothing (``none``); ``auto`` picks
    ``bar`` on a terminal and ``log`` otherwise."""

    def __init__(self, name: str, total: int | None, done: int, mode: str = "auto") -> None:
        if mode == "auto":
            mode = "bar" if sys.stderr.isatty() else "log"
        self.name, self.total, self.done, self.mode = name, total, done, mode
        self._bar = None
        self._next_tenth = (done * 10 // total + 1) if total else 1
        if mode == "bar":
            from tqdm import tqdm

            self._bar = tqdm(total=total, initial=done, unit="B", unit_scale=True, unit_divisor=1024,
                             desc=name, file=sys.stderr, leave=True)
        elif mode == "log":
            what = f"{total / 1e6:.1f} MB" if total else "size unknown"
            start = f", resuming at {done / 1e6:.1f} MB" if done else ""
            logger.info("downloading %s (%s%s)", name, what, start)

    def update(self, n: int) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
        elif self.mode == "log":
            if self.total:
                while self._next_tenth <= 10 and self.done * 10 >= self._next_tenth * self.total:
                    logger.info("  %s: %d%% (%.1f of %.1f MB)", self.name, self._next_tenth * 10,
                                self.done / 1e6, self.total / 1e6)
                    self._next_tenth += 1
            elif self.done >= self._next_tenth * 64 * CHUNK:
                logger.info("  %s: %.1f MB", self.name, self.done / 1e6)
                self._next_tenth += 1

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _open(url: str, offset: int):
    headers = {"User-Agent": "svit-weights/1"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    return urlopen(Request(url, headers=headers), timeout=TIMEOUT_S)


def fetch_http(url: str, part: Path, name: str, progress: str = "auto", attempts: int = ATTEMPTS) -> None:
    """Downloads ``url`` into ``part``, continuing what ``part`` already holds, until complete.

    HTTP errors raise WeightsError naming the URL and status; a connection that cannot be opened
    at all raises urllib's URLError (the caller turns it into the offline message); a transfer cut
    short is resumed up to ``attempts`` times.
    """
    for _ in range(attempts):
        offset = part.stat().st_size if part.is_file() else 0
        try:
            resp = _open(url, offset)
        except HTTPError as e:
            if e.code == 416 and offset:  # the partial file is not a prefix of this one: start over
                part.unlink()
                continue
            raise WeightsError(f"{url}: HTTP {e.code} {e.reason} (weights '{name}')") from None
        with resp:
            if offset and resp.status != 206:
                offset = 0  # the server ignored the range: the body is the whole file
            length = resp.headers.get("Content-Length")
            total = offset + int(length) if length and length.isdigit() else None
            bar = Progress(name, total, offset, progress)
            try:
                with open(part, "ab" if offset else "wb") as f:
                    for chunk in iter(lambda: resp.read(CHUNK), b""):
                        f.write(chunk)
                        bar.update(len(chunk))
            except (http.client.IncompleteRead, ConnectionError, TimeoutError) as e:
                logger.warning("%s: connection lost after %d bytes (%s); resuming", name, bar.done, type(e).__name__)
                continue
            finally:
                bar.close()
        size = part.stat().st_size
        if total is not None and size < total:
            logger.warning("%s: connection closed at %d of %d bytes; resuming", name, size, total)
            continue
        return
    kept = part.stat().st_size if part.is_file() else 0
    raise WeightsError(
        f"{url}: download of '{name}' did not complete in {attempts} attempts; {part} keeps the {kept} "
        "bytes received and the next run resumes from there."
    )
