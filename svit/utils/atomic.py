"""Atomic file writes: temp file in the same directory, fsync, then os.replace.

A crash or a kill mid-write leaves at most a temp file behind, never a truncated file under the
final name, so checkpoints and result files are either complete or absent. Three details matter
on shared machines:

* Temp names carry the host and process id (``.<name>.<host>.<pid>.<random>.tmp``). The next save
  of the same path removes temps whose writer is gone (same host, dead pid; other hosts: older than
  ``STALE_SECONDS``), so a kill during a 65 MB checkpoint write does not leak that file forever.
* ``tempfile.mkstemp`` creates files with mode 0600; the final file gets ``0666 & ~umask`` like any
  file written with ``open()``, so teammates can read results and checkpoints.
* A full disk (ENOSPC/EDQUOT, which torch reports as "enforce fail ... unexpected pos") becomes a
  ``DiskFullError`` naming the path and saying the disk is full; the partial temp file is removed.
"""
from __future__ import annotations

import errno
import os
import re
import socket
import tempfile
import time
from contextlib import contextmanager
from typing import IO, Iterator

TMP_SUFFIX = ".tmp"
# Temps of another host are only removed when older than this (its writer cannot be checked).
STALE_SECONDS = 6 * 3600
_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
_fdopen = os.fdopen  # module attribute so tests can simulate a full disk


class DiskFullError(OSError):
    """Writing ``path`` failed because its file system has no space (or quota) left."""


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname())[:32] or "host"


def current_umask() -> int:
    """The process umask, read without changing it where /proc allows (Linux)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # no race-free way elsewhere: set and restore at once
    os.umask(mask)
    return mask


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def clean_stale_temps(path: str | os.PathLike) -> list[str]:
    """Removes temp files of earlier, killed writes of ``path``; returns the removed paths."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    pattern = re.compile(
        r"^\." + re.escape(os.path.basename(path)) + r"\.(?P<host>[A-Za-z0-9_-]+)\.(?P<pid>\d+)\.[^.]+"
        + re.escape(TMP_SUFFIX) + "$"
    )
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    host, now = _host(), time.time()
    for name in names:
        m = pattern.match(name)
        if not m:
            continue
        full = os.path.join(directory, name)
        try:
            if m["host"] == host:
                stale = int(m["pid"]) != os.getpid() and not _pid_alive(int(m["pid"]))
            else:
                stale = now - os.path.getmtime(full) > STALE_SECONDS
            if stale:
                os.remove(full)
                removed.append(full)
        except OSError:
            continue
    return removed


def _is_disk_full(exc: BaseException, directory: str) -> bool:
    seen = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, OSError) and e.errno in _FULL_ERRNOS:
            return True
        e = e.__cause__ or e.__context__
    if "unexpected pos" in str(exc):  # torch's zip writer lost bytes: check the device itself
        try:
            st = os.statvfs(directory)
            return st.f_bavail * st.f_frsize < (1 << 20)
        except OSError:
            return False
    return False


@contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    """Yields a file to write; it replaces ``path`` only if the block finishes without error."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    clean_stale_temps(path)
    prefix = f".{os.path.basename(path)}.{_host()}.{os.getpid()}."
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=TMP_SUFFIX, dir=directory)
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
        with _fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        full = isinstance(exc, Exception) and _is_disk_full(exc, directory)
        if os.path.exists(tmp):
            os.remove(tmp)
        if full:
            raise DiskFullError(
                errno.ENOSPC, f"Cannot write {path}: the disk is full (no space left on the device holding "
                f"{directory}); the partial file was removed. Free space or choose another OUTPUT_DIR.",
            ) from exc
        raise
    try:  # make the rename itself durable
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Writes ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_open(path, "w") as f:
        f.write(text)
